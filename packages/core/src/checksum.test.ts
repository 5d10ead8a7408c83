import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, makeContent, sha256 } from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseChecksum, StreamingHasher } from './checksum.js';
import { download } from './download.js';
import { ErrorCode, RegetError } from './errors.js';
import type { DownloadOptions } from './options.js';
import { ByteRanges } from './ranges.js';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof RegetError ? error.code : 'not a RegetError';
  }
  return undefined;
}

describe('parseChecksum', () => {
  const hex256 = 'ab'.repeat(32);
  it('accepts algorithm:hex and algorithm=hex for sha256, sha512, sha1 and md5', () => {
    expect(parseChecksum(`sha256:${hex256}`)).toEqual({ algorithm: 'sha256', hex: hex256 });
    expect(parseChecksum(`  sha256=${hex256.toUpperCase()} `)).toEqual({ algorithm: 'sha256', hex: hex256 });
    expect(parseChecksum(`SHA256:${hex256}`)).toEqual({ algorithm: 'sha256', hex: hex256 });
    expect(parseChecksum(`sha512:${'0'.repeat(128)}`).algorithm).toBe('sha512');
    expect(parseChecksum(`sha1:${'0'.repeat(40)}`).algorithm).toBe('sha1');
    expect(parseChecksum(`md5:${'0'.repeat(32)}`).algorithm).toBe('md5');
  });

  it.each([
    '',
    'sha256',
    hex256,
    `sha256:${hex256.slice(1)}`,
    `sha256:${hex256}0`,
    `sha256:${'g'.repeat(64)}`,
    `crc32:${'0'.repeat(8)}`,
    `sha-256:${hex256}`,
    `constructor:${'0'.repeat(8)}`,
    `__proto__:${'0'.repeat(8)}`,
    `tostring:${'0'.repeat(8)}`,
  ])('refuses %j as BAD_INPUT', (text) => {
    expect(codeOf(() => parseChecksum(text))).toBe(ErrorCode.BAD_INPUT);
  });
});

describe('StreamingHasher', () => {
  const content = makeContent(300_000, 3);
  const readAt = async (position: number, length: number) => content.subarray(position, position + length);
  const expected = createHash('sha256').update(content).digest('hex');

  it('hashes sequential writes without reading the disk', async () => {
    const reads: number[] = [];
    const hasher = new StreamingHasher('sha256', async (position, length) => {
      reads.push(position);
      return readAt(position, length);
    });
    for (let position = 0; position < content.length; position += 7_000) {
      await hasher.update(position, content.subarray(position, position + 7_000), () => false);
    }
    expect(await hasher.finish(content.length)).toBe(expected);
    expect(reads).toEqual([]);
  });

  it('hashes the prefix already on disk before the first new byte of a resume', async () => {
    const onDisk = new ByteRanges([[0, 123_456]]);
    const hasher = new StreamingHasher('sha256', readAt);
    await hasher.update(123_456, content.subarray(123_456), (start, end) => onDisk.covers(start, end));
    expect(await hasher.finish(content.length)).toBe(expected);
  });

  it('catches up on out-of-order writes and rewrites in finish', async () => {
    const hasher = new StreamingHasher('sha256', readAt);
    await hasher.update(200_000, content.subarray(200_000), () => false);
    await hasher.update(0, content.subarray(0, 50_000), () => false);
    await hasher.update(10_000, content.subarray(10_000, 20_000), () => false);
    expect(await hasher.finish(content.length)).toBe(expected);
  });

  it('fails LOCAL_IO when the file is shorter than what must be hashed', async () => {
    const hasher = new StreamingHasher('sha256', readAt);
    const error = await hasher.finish(content.length + 1).catch((caught: unknown) => caught);
    expect((error as RegetError).code).toBe(ErrorCode.LOCAL_IO);
  });
});

describe('checksum while downloading', () => {
  const size = 400_000;
  const content = makeContent(size, 11);
  const digest = `sha256:${sha256(content)}`;
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-checksum-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function setup(validator: 'strong' | 'weak' | 'none') {
    const server = createMemoryServer({ validator });
    await server.putFile('/file.bin', content);
    const destination = join(directory, `${validator}.bin`);
    const options = (extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
      url: server.url('/file.bin'),
      destination,
      adapters: [server.adapter],
      retries: 0,
      retryDelayMs: 1,
      checksum: digest,
      ...extra,
    });
    return { server, destination, options };
  }

  for (const validator of ['strong', 'weak', 'none'] as const) {
    it(`equals the file's sha256 across a resume and in-call retries (${validator} validator)`, async () => {
      const { server, destination, options } = await setup(validator);
      server.setFaults({ dropAfterBytes: 150_000, dropTimes: 1 });
      const first = await download(options()).catch((error: unknown) => error as RegetError);
      expect((first as RegetError).code).toBe(ErrorCode.PARTIAL);
      server.setFaults({ dropAfterBytes: 90_000, dropTimes: 2 });
      const result = await download(options({ retries: 2 }));
      expect(result.resumes).toBeGreaterThanOrEqual(1);
      expect(result.checksum).toBe(digest);
      expect(sha256(await readFile(destination))).toBe(sha256(content));
    });
  }

  it('leaves no hashing thread running after a download, verified or failed', async () => {
    // Linux counts a process's threads in /proc; a thread left behind by each download would add up.
    const threads = async () =>
      Number(/^Threads:\s+(\d+)$/m.exec(await readFile('/proc/self/status', 'utf8'))?.[1]);
    const { server, options } = await setup('strong');
    await download(options());
    const before = await threads();
    await download(options({ destination: join(directory, 'again.bin') }));
    server.setFaults({ dropAfterBytes: 100_000, dropTimes: 1 });
    await download(options({ destination: join(directory, 'cut.bin') })).catch(() => undefined);
    expect(await threads()).toBe(before);
  });

  it('verifies a partial that was already complete on disk', async () => {
    const { destination, options } = await setup('weak');
    await writeFile(`${destination}.part`, content);
    const result = await download(options());
    expect(result.checksum).toBe(digest);
  });

  it('catches a corrupt byte in the middle of the partial that no overlap can see (FAULTS CHG-06)', async () => {
    const { server, destination, options } = await setup('strong');
    server.setFaults({ dropAfterBytes: 300_000, dropTimes: 1 });
    await download(options()).catch(() => undefined);
    const partial = await readFile(`${destination}.part`);
    partial[1000] = (partial[1000]! + 1) % 256;
    await writeFile(`${destination}.part`, partial);
    server.setFaults({});
    const error = await download(options()).catch((caught: unknown) => caught as RegetError);
    expect(error).toBeInstanceOf(RegetError);
    expect((error as RegetError).code).toBe(ErrorCode.CHECKSUM);
    expect(await readFile(destination).catch(() => 'absent')).toBe('absent');
  });
});
