import { mkdtemp, readFile, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, failureOf, type MemoryServer, makeContent, sha256 } from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter } from './contract.js';
import { download } from './download.js';
import { ErrorCode, RegetError } from './errors.js';
import type { DownloadEvent } from './events.js';
import type { DownloadOptions } from './options.js';

/** A finished download run again, at the edges: stalls, flaky servers, refused ranges, clocks. */
const size = 200_000;
const overlap = 65_536;
const content = makeContent(size, 17);

/** The memory adapter with a modification time the test sets (the memory server has none). */
function timed(adapter: Adapter, modifiedAt: () => Date | undefined): Adapter {
  return {
    ...adapter,
    async open(url, context) {
      const remote = await adapter.open(url, context);
      return {
        stat: async (signal) => ({ ...(await remote.stat(signal)), modifiedAt: modifiedAt() }),
        read: (request) => remote.read(request),
        close: () => remote.close(),
      };
    },
  };
}

describe('a finished download run again', () => {
  let directory: string;
  let server: MemoryServer;
  let events: DownloadEvent[];
  const destination = () => join(directory, 'file.bin');
  const options = (extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
    url: server.url('/file.bin'),
    destination: destination(),
    adapters: [server.adapter],
    retries: 0,
    retryDelayMs: 1,
    idleTimeoutMs: 5_000,
    onEvent: (event) => events.push(event),
    ...extra,
  });

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-finished-'));
    server = createMemoryServer({ validator: 'none' });
    await server.putFile('/file.bin', content);
    events = [];
    await download(options());
    server.reads.length = 0;
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('times out on a server that stalls while the tail is compared, as an attempt does', async () => {
    server.setFaults({ stallAfterBytes: 0 });
    const error = await failureOf(download(options({ idleTimeoutMs: 200 })));
    expect(error.code).toBe(ErrorCode.TIMEOUT);
    expect(sha256(await readFile(destination()))).toBe(sha256(content));
  });

  it('retries a failed check within the retry budget', async () => {
    server.setFaults({ readErrors: [new RegetError(ErrorCode.NETWORK, 'Reset.')] });
    const result = await download(options({ retries: 2 }));
    expect(result.isAlreadyComplete).toBe(true);
    expect(events.filter((event) => event.type === 'retry')).toHaveLength(1);
  });

  it('answers EXISTS, not a range error, when the server will not serve the tail', async () => {
    server.setFaults({ refuseRange: true });
    const error = await failureOf(download(options()));
    expect(error.code).toBe(ErrorCode.EXISTS);
    expect(sha256(await readFile(destination()))).toBe(sha256(content));
  });

  it('compares to the millisecond when the server gives fractions of a second', async () => {
    let time: Date | undefined = new Date('2026-01-02T03:04:05.300Z');
    const adapter = timed(server.adapter, () => time);
    await rm(destination());
    await download(options({ adapters: [adapter] }));
    expect((await stat(destination())).mtimeMs).toBeCloseTo(time.getTime(), -1);
    expect((await download(options({ adapters: [adapter] }))).isAlreadyComplete).toBe(true);
    // Replaced half a second later, same size: the same second, not the same time.
    time = new Date('2026-01-02T03:04:05.800Z');
    expect((await failureOf(download(options({ adapters: [adapter] })))).code).toBe(ErrorCode.EXISTS);
    expect(server.reads).toHaveLength(1);
  });

  it('takes a time at the epoch for no time, and compares the tail instead', async () => {
    const adapter = timed(server.adapter, () => new Date(0));
    await utimes(destination(), new Date(0), new Date(0));
    await server.putFile('/file.bin', Buffer.from(content).fill(9, size - 10));
    const error = await failureOf(download(options({ adapters: [adapter] })));
    expect(error.code).toBe(ErrorCode.EXISTS);
    expect(server.reads.map((read) => read.start)).toEqual([size - overlap]);
  });
});
