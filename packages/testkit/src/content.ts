import { createHash } from 'node:crypto';

/**
 * A small seeded pseudo-random generator (mulberry32), so randomised tests print a seed and a
 * failure can be replayed exactly.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A seed of its own for one use of a base seed (a mode, a target, a scenario): tests that share
 * REGET_SEED still draw different numbers, and the base seed alone replays each of them.
 */
export function deriveSeed(seed: number, label: string): number {
  // FNV-1a over the label, mixed with the seed spread by the golden ratio.
  let hash = 0x811c9dc5;
  for (const character of label) hash = Math.imul(hash ^ (character.codePointAt(0) ?? 0), 0x01000193);
  return (hash ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
}

/** `size` bytes of reproducible, non-repeating content for a seed: every offset is distinguishable. */
export function makeContent(size: number, seed = 1): Uint8Array {
  const random = seededRandom(seed);
  const bytes = new Uint8Array(size);
  for (let index = 0; index < size; index += 4) {
    const word = Math.floor(random() * 4294967296);
    bytes[index] = word & 0xff;
    if (index + 1 < size) bytes[index + 1] = (word >>> 8) & 0xff;
    if (index + 2 < size) bytes[index + 2] = (word >>> 16) & 0xff;
    if (index + 3 < size) bytes[index + 3] = (word >>> 24) & 0xff;
  }
  return bytes;
}

/** Hex sha256 of bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** sha256 piece hashes of `data` in pieces of `length` bytes, as core's `pieces` option takes them. */
export function pieceHashesOf(
  data: Uint8Array,
  length: number,
): { algorithm: 'sha256'; length: number; hashes: string[] } {
  const hashes: string[] = [];
  for (let at = 0; at < data.length; at += length) {
    hashes.push(
      createHash('sha256')
        .update(data.subarray(at, at + length))
        .digest('hex'),
    );
  }
  return { algorithm: 'sha256', length, hashes };
}

/**
 * A copy of `data` with one byte changed in the middle of every `length`-byte piece: a mirror that
 * serves it serves a wrong byte in any range of a piece's size or more.
 */
export function tamperEveryPiece(data: Uint8Array, length: number): Buffer {
  const copy = Buffer.from(data);
  for (let at = Math.floor(length / 2); at < copy.length; at += length) copy[at] = copy[at]! ^ 0xff;
  return copy;
}
