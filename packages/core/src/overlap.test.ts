import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, failureOf, makeContent } from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { download } from './download.js';
import { ErrorCode } from './errors.js';
import type { DownloadEvent } from './events.js';
import { isInformative, overlapStart } from './overlap.js';

const KiB = 1024;

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'reget-overlap-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Two versions of one file with the same size and the same 200 KiB of zeros from 300 KiB on. */
function versions(): { first: Uint8Array; second: Uint8Array } {
  const make = (seed: number) => {
    const bytes = makeContent(600 * KiB, seed);
    bytes.fill(0, 300 * KiB, 500 * KiB);
    bytes.set(makeContent(100 * KiB, 99), 500 * KiB);
    return bytes;
  };
  return { first: make(1), second: make(2) };
}

describe('what a verification window can prove', () => {
  it('takes random bytes and text for informative, zeros and short repeating patterns not', () => {
    expect(isInformative(makeContent(64 * KiB, 5))).toBe(true);
    expect(isInformative(Buffer.from('The quick brown fox jumps over the lazy dog. '.repeat(30)))).toBe(true);
    expect(isInformative(new Uint8Array(64 * KiB))).toBe(false);
    expect(isInformative(new Uint8Array(64 * KiB).fill(0xff))).toBe(false);
    expect(isInformative(Buffer.from('AB'.repeat(32 * KiB)))).toBe(false);
    // Sixteen distinct bytes, repeated every 256 bytes: the same in any version that repeats it.
    const pattern = Buffer.alloc(64 * KiB);
    for (let index = 0; index < pattern.length; index += 1) pattern[index] = (index % 256) >> 4;
    expect(isInformative(pattern)).toBe(false);
  });

  it('moves the window back over zeros until it holds information, within 16 windows', async () => {
    const { first } = versions();
    const readAt = async (position: number, length: number) => first.subarray(position, position + length);
    // Ends in the zeros at 450 KiB: [386, 450), [322, 386) are zeros, [258, 322) is not.
    expect(await overlapStart(readAt, 450 * KiB, 0, 64 * KiB)).toBe(258 * KiB);
    // Never before the bytes on disk start.
    expect(await overlapStart(readAt, 450 * KiB, 400 * KiB, 64 * KiB)).toBe(400 * KiB);
    // All zeros: at most 16 windows back.
    const zeros = async (_position: number, length: number) => new Uint8Array(length);
    expect(await overlapStart(zeros, 2048 * KiB, 0, 64 * KiB)).toBe(1024 * KiB);
  });
});

describe('a partial that ends in zeros (a disk image, padding)', () => {
  it('is checked where its bytes tell versions apart: a changed remote restarts, never stitched', async () => {
    const { first, second } = versions();
    const server = createMemoryServer({ validator: 'none' });
    await server.putFile('/image.bin', second);
    const destination = join(directory, 'image.bin');
    // 450 KiB of the first version, without a journal: everything on disk must be verified.
    await writeFile(`${destination}.part`, first.subarray(0, 450 * KiB));
    const events: DownloadEvent[] = [];
    await download({
      url: server.url('/image.bin'),
      destination,
      adapters: [server.adapter],
      retries: 0,
      onEvent: (event) => events.push(event),
    });
    expect(Buffer.compare(await readFile(destination), second)).toBe(0);
    expect(events.filter((event) => event.type === 'restart').map((event) => event.reason)).toEqual([
      'remote changed',
    ]);
  });

  it('run again once finished, is not taken for current by a tail of zeros alone', async () => {
    const { first, second } = versions();
    const server = createMemoryServer({ validator: 'none' });
    const destination = join(directory, 'finished.bin');
    // The first version, finished; the remote has the same size and gives no time to compare.
    // Both end in 300 KiB of zeros; they differ before that.
    const old = first.slice();
    old.fill(0, 300 * KiB);
    const remote = second.slice();
    remote.fill(0, 300 * KiB);
    await server.putFile('/image.bin', remote);
    await writeFile(destination, old);
    const error = await failureOf(
      download({ url: server.url('/image.bin'), destination, adapters: [server.adapter], retries: 0 }),
    );
    expect(error.code).toBe(ErrorCode.EXISTS);
    expect(Buffer.compare(await readFile(destination), old)).toBe(0);
  });
});
