import { mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, failureOf, type MemoryServer, makeContent, sha256 } from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { download } from './download.js';
import { ErrorCode, RegetError } from './errors.js';
import type { DownloadOptions } from './options.js';

/** Invariant 6, clear failure: bad input and local trouble fail with a code before any byte moves. */
const size = 200_000;
const overlap = 65_536;
const content = makeContent(size, 51);

describe('clear failure', () => {
  let directory: string;
  let server: MemoryServer;
  let destination: string;
  const options = (extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
    url: server.url('/file.bin'),
    destination,
    adapters: [server.adapter],
    retries: 0,
    retryDelayMs: 1,
    ...extra,
  });

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-failure-'));
    destination = join(directory, 'file.bin');
    server = createMemoryServer();
    await server.putFile('/file.bin', content);
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const badInput: Array<[string, () => Partial<DownloadOptions>]> = [
    ['a malformed URL', () => ({ url: 'not a url' })],
    ['a malformed URL with credentials', () => ({ url: 'mem://alice:s3cret@mem ory/file.bin' })],
    ['an unknown scheme', () => ({ url: 'gopher://memory/file.bin' })],
    ['no adapter at all', () => ({ adapters: [] })],
    ['a bad checksum string', () => ({ checksum: 'sha256:xyz' })],
    ['a checksum of the wrong length', () => ({ checksum: `sha256:${'0'.repeat(63)}` })],
    ['an unknown checksum algorithm', () => ({ checksum: `crc32:${'0'.repeat(8)}` })],
    ['negative retries', () => ({ retries: -1 })],
    ['fractional retries', () => ({ retries: 1.5 })],
    ['NaN retries', () => ({ retries: Number.NaN })],
    ['zero connections', () => ({ connections: 0 })],
    ['a zero idle timeout', () => ({ idleTimeoutMs: 0 })],
    ['a negative overlap', () => ({ overlapBytes: -1 })],
    ['a zero rate limit', () => ({ limitRateBytesPerSecond: 0 })],
    ['a zero low-speed window', () => ({ lowSpeedLimit: { bytesPerSecond: 10, seconds: 0 } })],
    ['an unknown ifExists policy', () => ({ ifExists: 'clobber' as 'error' })],
    ['an empty destination', () => ({ destination: '' })],
  ];
  for (const [name, extra] of badInput) {
    it(`fails BAD_INPUT on ${name}, before any read and leaving nothing`, async () => {
      const error = await failureOf(download(options(extra())));
      expect(error.code).toBe(ErrorCode.BAD_INPUT);
      expect(error.retryable).toBe(false);
      expect(error.message).not.toContain('s3cret');
      expect(server.reads.length).toBe(0);
      expect(await readdir(directory)).toEqual([]);
    });
  }

  it('fails LOCAL_IO when the directory is missing, and creates no directory', async () => {
    const error = await failureOf(download(options({ destination: join(directory, 'nope', 'file.bin') })));
    expect(error.code).toBe(ErrorCode.LOCAL_IO);
    expect(server.reads.length).toBe(0);
    expect(await readdir(directory)).toEqual([]);
  });

  it('fails LOCAL_IO when a parent is a file', async () => {
    await writeFile(join(directory, 'plain'), 'x');
    const error = await failureOf(download(options({ destination: join(directory, 'plain', 'file.bin') })));
    expect(error.code).toBe(ErrorCode.LOCAL_IO);
    expect(server.reads.length).toBe(0);
  });

  for (const suffix of ['', '.part', '.reget']) {
    it(`fails LOCAL_IO when a directory sits at <dest>${suffix}, and leaves it alone`, async () => {
      await mkdir(`${destination}${suffix}`);
      await writeFile(join(`${destination}${suffix}`, 'inside'), 'kept');
      const error = await failureOf(download(options({ ifExists: 'overwrite' })));
      expect(error.code).toBe(ErrorCode.LOCAL_IO);
      expect(server.reads.length).toBe(0);
      expect(await readFile(join(`${destination}${suffix}`, 'inside'), 'utf8')).toBe('kept');
    });

    it(`fails LOCAL_IO on a symlink at <dest>${suffix}, and never touches its target (FAULTS SEC-06)`, async () => {
      const target = join(directory, 'precious');
      await writeFile(target, 'do not touch');
      await symlink(target, `${destination}${suffix}`);
      const error = await failureOf(download(options({ ifExists: 'overwrite' })));
      expect(error.code).toBe(ErrorCode.LOCAL_IO);
      expect(server.reads.length).toBe(0);
      expect(await readFile(target, 'utf8')).toBe('do not touch');
      expect(await readlink(`${destination}${suffix}`)).toBe(target);
    });
  }

  it('fails EXISTS on an existing destination and leaves it untouched (FAULTS LOC-07)', async () => {
    await writeFile(destination, 'mine');
    const error = await failureOf(download(options()));
    expect(error.code).toBe(ErrorCode.EXISTS);
    expect(error.retryable).toBe(false);
    expect(server.reads.length).toBe(0);
    expect(await readFile(destination, 'utf8')).toBe('mine');
    expect(await readdir(directory)).toEqual(['file.bin']);
  });

  it("replaces an existing destination with ifExists 'overwrite', and keeps it when the download fails", async () => {
    await writeFile(destination, 'mine');
    server.setFaults({ readErrors: [new RegetError(ErrorCode.NOT_FOUND, 'Gone.')] });
    expect((await failureOf(download(options({ ifExists: 'overwrite' })))).code).toBe(ErrorCode.NOT_FOUND);
    expect(await readFile(destination, 'utf8')).toBe('mine');
    server.setFaults({});
    const result = await download(options({ ifExists: 'overwrite' }));
    expect(result.size).toBe(size);
    expect(sha256(await readFile(destination))).toBe(sha256(content));
    expect(await readdir(directory)).toEqual(['file.bin']);
  });

  it("resumes an existing destination with ifExists 'continue', fetching only what is missing", async () => {
    await writeFile(destination, content.subarray(0, 150_000));
    const result = await download(options({ ifExists: 'continue' }));
    expect(result.resumes).toBe(1);
    expect(result.restarts).toBe(0);
    expect(server.bytesSent()).toBeLessThanOrEqual(size - 150_000 + overlap);
    expect(sha256(await readFile(destination))).toBe(sha256(content));
  });

  it("restarts an existing destination of another version with ifExists 'continue'", async () => {
    await writeFile(destination, makeContent(150_000, 52));
    const result = await download(options({ ifExists: 'continue' }));
    expect(result.restarts).toBe(1);
    expect(sha256(await readFile(destination))).toBe(sha256(content));
  });

  it("puts an existing destination back when 'continue' fails before writing anything", async () => {
    const mine = makeContent(150_000, 53);
    await writeFile(destination, mine);
    const error = await failureOf(
      download(options({ ifExists: 'continue', url: server.url('/missing.bin') })),
    );
    expect(error.code).toBe(ErrorCode.NOT_FOUND);
    expect(sha256(await readFile(destination))).toBe(sha256(mine));
    expect(await readdir(directory)).toEqual(['file.bin']);
  });

  it('refuses an existing destination even when a partial sits beside it', async () => {
    const mine = makeContent(1_000, 54);
    await writeFile(destination, mine);
    await writeFile(`${destination}.part`, content.subarray(0, 10_000));
    const error = await failureOf(download(options()));
    expect(error.code).toBe(ErrorCode.EXISTS);
    expect(sha256(await readFile(destination))).toBe(sha256(mine));
  });
});
