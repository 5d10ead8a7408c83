/**
 * Where to verify bytes on disk against the remote. A window of zeros, of one repeated byte or of a
 * short repeating pattern reads the same in two versions of a file (a disk image's padding, a log
 * of identical lines), so it proves nothing: the window is moved back, one window at a time and at
 * most {@link maxWindows} windows in all, until the bytes it adds can tell versions apart.
 */

/** Most windows one verification spans (16 × 64 KiB = 1 MiB by default). */
export const maxWindows = 16;

/** Block size for counting distinct blocks: a pattern whose period divides it repeats every block. */
const blockBytes = 4096;

/**
 * Whether `bytes` can tell two versions of a file apart: at least 8 distinct byte values, and no
 * block repeated over most of the window.
 */
export function isInformative(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  const seen = new Uint8Array(256);
  let distinct = 0;
  for (const byte of bytes) {
    if (seen[byte] === 0) {
      seen[byte] = 1;
      distinct += 1;
      if (distinct >= 8) break;
    }
  }
  if (distinct < 8) return false;
  const blocks = Math.floor(bytes.length / blockBytes);
  if (blocks < 2) return true;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kinds = new Set<string>();
  for (let index = 0; index < blocks; index += 1) {
    // A block's first and last 64 bytes: cheap, and enough to see a block repeated.
    const at = index * blockBytes;
    kinds.add(
      buffer.toString('latin1', at, at + 64) +
        buffer.toString('latin1', at + blockBytes - 64, at + blockBytes),
    );
  }
  return kinds.size > blocks / 2;
}

/**
 * The start of the verification before `end`: `end - windowBytes`, or earlier while the window's
 * first bytes are uninformative, never before `floor` (the start of the bytes on disk there).
 */
export async function overlapStart(
  readAt: (position: number, length: number) => Promise<Uint8Array>,
  end: number,
  floor: number,
  windowBytes: number,
): Promise<number> {
  const limit = Math.max(floor, end - windowBytes * maxWindows);
  let start = Math.max(floor, end - windowBytes);
  for (;;) {
    if (start <= limit) return limit;
    const window = await readAt(start, Math.min(windowBytes, end - start));
    if (isInformative(window)) return start;
    start = Math.max(limit, start - windowBytes);
  }
}
