import { ErrorCode, RegetError } from './errors.js';
import { HashThread, type HashThreadOptions } from './hash-thread.js';

const hexLengths = { sha256: 64, sha512: 128, sha1: 40, md5: 32 } as const;

/** A digest algorithm reget verifies. */
export type ChecksumAlgorithm = keyof typeof hexLengths;

/** An expected digest. */
export interface Checksum {
  readonly algorithm: ChecksumAlgorithm;
  /** Lower-case hex. */
  readonly hex: string;
}

/** Parses `algorithm:hex` (or `algorithm=hex`), or throws BAD_INPUT. */
export function parseChecksum(text: string): Checksum {
  const match = /^([a-z0-9]+)[:=]([0-9a-f]+)$/i.exec(text.trim());
  const algorithm = match?.[1]?.toLowerCase();
  const hex = match?.[2]?.toLowerCase();
  if (!algorithm || !hex || !Object.hasOwn(hexLengths, algorithm)) {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `Not a checksum: expected algorithm:hex with one of ${Object.keys(hexLengths).join(', ')}.`,
    );
  }
  const expected = hexLengths[algorithm as ChecksumAlgorithm];
  if (hex.length !== expected) {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `A ${algorithm} checksum has ${expected} hex digits, not ${hex.length}.`,
    );
  }
  return { algorithm: algorithm as ChecksumAlgorithm, hex };
}

/** Reads `length` bytes of the file at `position`; supplied by the partial file. */
export type ReadAt = (position: number, length: number) => Promise<Uint8Array>;

/**
 * Hashes a file while it is written, so a download needs no second pass: bytes written at the
 * hashed frontier are hashed at once; on resume, the prefix already on disk is hashed from disk
 * just before the first new byte. Writes elsewhere (segments) are hashed by {@link finish}.
 * The hashing itself runs on a worker thread ({@link HashThread}), beside the transfer; call
 * {@link close} when done, whatever the outcome.
 */
export class StreamingHasher {
  readonly #readAt: ReadAt;
  readonly #hash: HashThread;
  #hashedUpTo = 0;

  constructor(algorithm: ChecksumAlgorithm, readAt: ReadAt, options: HashThreadOptions = {}) {
    this.#readAt = readAt;
    this.#hash = new HashThread(algorithm, options);
  }

  /**
   * Called before `bytes` are written at `position`. `isOnDisk(a, b)` says whether `[a, b)` is
   * already complete on disk, so the gap before `position` can be hashed from the file.
   */
  async update(
    position: number,
    bytes: Uint8Array,
    isOnDisk: (start: number, end: number) => boolean,
  ): Promise<void> {
    if (position < this.#hashedUpTo) {
      // Rewriting bytes already hashed (a restart): start over, finish() will catch up.
      this.reset();
    }
    if (position > this.#hashedUpTo && isOnDisk(this.#hashedUpTo, position)) {
      await this.#hashFromDisk(position);
    }
    if (position === this.#hashedUpTo) {
      // Queued in order at once, so the frontier moves now; a reset while the copy waits drops it.
      const copying = this.#hash.update(bytes);
      this.#hashedUpTo += bytes.length;
      await copying;
    }
  }

  /** Forgets everything hashed (the partial was truncated). */
  reset(): void {
    this.#hash.reset();
    this.#hashedUpTo = 0;
  }

  /** Hashes whatever the streaming pass missed, up to `size`, and returns the hex digest. */
  async finish(size: number): Promise<string> {
    if (this.#hashedUpTo > size) this.reset();
    // Nothing writes any more: a catch-up cut short by a reset goes on from where the hash stands.
    while (this.#hashedUpTo < size) await this.#hashFromDisk(size);
    const hex = await this.#hash.digest();
    this.#hashedUpTo = 0;
    return hex;
  }

  /** Stops the hashing thread. */
  async close(): Promise<void> {
    await this.#hash.close();
  }

  async #hashFromDisk(end: number): Promise<void> {
    const chunk = 1 << 20;
    while (this.#hashedUpTo < end) {
      const start = this.#hashedUpTo;
      const length = Math.min(chunk, end - start);
      const bytes = await this.#readAt(start, length);
      // Reset or moved on while reading: stop here. What the disk holds then is caught up by
      // finish(), which reads again from where the hash stands; reading on now could hash bytes a
      // writer is replacing.
      if (this.#hashedUpTo !== start) return;
      if (bytes.length !== length) {
        throw new RegetError(ErrorCode.LOCAL_IO, 'The partial file is shorter than its journal says.');
      }
      const copying = this.#hash.update(bytes);
      this.#hashedUpTo += length;
      await copying;
    }
  }
}
