import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, makeContent } from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { download } from './download.js';
import type { DownloadEvent } from './events.js';
import { PartialFile } from './partial.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'reget-slow-disk-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(directory, { recursive: true, force: true });
});

/** The idle timeout of these downloads: a server silent this long has stalled. */
const idleTimeoutMs = 200;

/** The partial's second write hangs until the returned function is called: a disk that stalls. */
function hangSecondWrite(): () => void {
  const release: Array<() => void> = [];
  const diskFree = new Promise<void>((resolve) => release.push(resolve));
  const writev = PartialFile.prototype.writev;
  let writes = 0;
  vi.spyOn(PartialFile.prototype, 'writev').mockImplementation(async function (this: PartialFile, ...args) {
    writes += 1;
    if (writes === 2) await diskFree;
    return writev.apply(this, args);
  });
  return () => {
    for (const resolve of release) resolve();
  };
}

describe('a disk slower than the idle timeout (the server is not silent, reget is not reading)', () => {
  it('is waited for and reported as a disk stall, never timed out and retried as the server', async () => {
    const content = makeContent(3 * 2 ** 20, 17);
    const server = createMemoryServer({ chunkBytes: 64 * 1024 });
    await server.putFile('/file.bin', content);
    // One write hangs until the download has reported the disk three times (three idle timeouts,
    // so a watchdog counting the wait as the server's silence has long fired by then).
    const freeTheDisk = hangSecondWrite();
    const events: DownloadEvent[] = [];
    const destination = join(directory, 'file.bin');
    const writeStalls = () =>
      events.filter((event) => event.type === 'disk-stall' && event.operation === 'write');
    await download({
      url: server.url('/file.bin'),
      destination,
      adapters: [server.adapter],
      idleTimeoutMs,
      retries: 0,
      // Only the hung write is slow here: no real flush may take an idle timeout and add events.
      durable: false,
      onEvent: (event) => {
        events.push(event);
        if (writeStalls().length === 3) freeTheDisk();
      },
    });
    expect(Buffer.compare(await readFile(destination), content)).toBe(0);
    expect(writeStalls().length).toBe(3);
    expect(writeStalls().at(-1)).toMatchObject({ type: 'disk-stall' });
    const last = writeStalls().at(-1);
    expect(last?.type === 'disk-stall' && last.waitedMs).toBeGreaterThanOrEqual(3 * idleTimeoutMs - 20);
    expect(events.filter((event) => event.type === 'retry')).toEqual([]);
  });

  it('does not take a disk stall for a trickling server (the low-speed limit)', async () => {
    const content = makeContent(3 * 2 ** 20, 19);
    const server = createMemoryServer({ chunkBytes: 64 * 1024 });
    await server.putFile('/file.bin', content);
    const freeTheDisk = hangSecondWrite();
    const events: DownloadEvent[] = [];
    const destination = join(directory, 'trickle.bin');
    // Held for 12 stall reports of 200 ms: over two whole seconds of the guard's one-second window.
    await download({
      url: server.url('/file.bin'),
      destination,
      adapters: [server.adapter],
      idleTimeoutMs,
      retries: 0,
      durable: false,
      lowSpeedLimit: { bytesPerSecond: 1024, seconds: 1 },
      onEvent: (event) => {
        events.push(event);
        const stalls = events.filter((seen) => seen.type === 'disk-stall');
        if (stalls.length === 12) freeTheDisk();
      },
    });
    expect(Buffer.compare(await readFile(destination), content)).toBe(0);
    expect(events.filter((event) => event.type === 'retry')).toEqual([]);
  });

  it('lets the rate limit pause the reader for longer than the idle timeout', async () => {
    const content = makeContent(384 * 1024, 18);
    const server = createMemoryServer({ chunkBytes: 128 * 1024 });
    await server.putFile('/file.bin', content);
    const events: DownloadEvent[] = [];
    const destination = join(directory, 'limited.bin');
    // 128 KiB chunks at 256 KiB/s: each pause is 500 ms, over twice the idle timeout.
    await download({
      url: server.url('/file.bin'),
      destination,
      adapters: [server.adapter],
      idleTimeoutMs,
      retries: 0,
      limitRateBytesPerSecond: 256 * 1024,
      onEvent: (event) => events.push(event),
    });
    expect(Buffer.compare(await readFile(destination), content)).toBe(0);
    expect(events.filter((event) => event.type === 'retry')).toEqual([]);
  });
});
