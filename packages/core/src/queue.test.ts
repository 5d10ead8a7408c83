import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, failureOf, type MemoryServer, makeContent, sha256 } from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter } from './contract.js';
import { download } from './download.js';
import { ErrorCode, RegetError } from './errors.js';
import type { DownloadEvent } from './events.js';
import type { DownloadOptions } from './options.js';
import { DownloadQueue, type QueueItem } from './queue.js';

/** The queue (the seed's download queue): a concurrency limit, pause, resume and cancel. */
const size = 300_000;
const overlap = 65_536;
const content = makeContent(size, 81);

describe('DownloadQueue', () => {
  let directory: string;
  let server: MemoryServer;
  const options = (name: string, extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
    url: server.url('/file.bin'),
    destination: join(directory, name),
    adapters: [server.adapter],
    retries: 0,
    progressIntervalMs: 0,
    ...extra,
  });

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-queue-'));
    server = createMemoryServer({ chunkBytes: 8192 });
    await server.putFile('/file.bin', content);
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('refuses a concurrency below one as BAD_INPUT', () => {
    for (const concurrency of [0, -1, 1.5]) {
      expect(() => new DownloadQueue({ concurrency })).toThrow(RegetError);
    }
  });

  it('never runs more downloads at once than its concurrency, and runs them all', async () => {
    const running = new Set<number>();
    let most = 0;
    const seen: Array<[number, DownloadEvent['type']]> = [];
    const queue = new DownloadQueue({
      concurrency: 2,
      onEvent: (item, event) => {
        seen.push([item.id, event.type]);
        if (event.type === 'probe') running.add(item.id);
        if (event.type === 'complete') running.delete(item.id);
        most = Math.max(most, running.size);
      },
    });
    // The first read waits for the second: the two slots are busy at once, whatever the timing.
    let secondRead!: () => void;
    const isSecondReading = new Promise<void>((resolve) => {
      secondRead = resolve;
    });
    let reads = 0;
    const adapter: Adapter = {
      ...server.adapter,
      async open(url, context) {
        const remote = await server.adapter.open(url, context);
        return {
          stat: (signal) => remote.stat(signal),
          async read(request) {
            reads += 1;
            if (reads === 2) secondRead();
            if (reads === 1) await isSecondReading;
            return remote.read(request);
          },
          close: () => remote.close(),
        };
      },
    };
    const items = Array.from({ length: 5 }, (_, index) =>
      queue.add(options(`f${index}.bin`, { adapters: [adapter] })),
    );
    const results = await Promise.all(items.map((item) => item.result));
    await queue.onIdle();
    expect(most).toBe(2);
    expect(results.map((result) => result.size)).toEqual([size, size, size, size, size]);
    for (let index = 0; index < 5; index++) {
      expect(sha256(await readFile(join(directory, `f${index}.bin`)))).toBe(sha256(content));
    }
    expect(new Set(seen.map(([id]) => id)).size).toBe(5);
  });

  it('pauses a running download and resumes it from the bytes on disk, byte-identical', async () => {
    server.setFaults({ stallAfterBytes: 100_000 });
    const events: DownloadEvent[] = [];
    let item!: QueueItem;
    let isPaused = false;
    const queue = new DownloadQueue({ concurrency: 1 });
    item = queue.add(
      options('paused.bin', {
        onEvent: (event) => {
          events.push(event);
          if (event.type === 'progress' && event.bytesOnDisk >= 100_000 && !isPaused) {
            isPaused = true;
            item.pause();
            server.setFaults({});
            server.resetCounters();
            item.resume();
          }
        },
      }),
    );
    const result = await item.result;
    expect(sha256(await readFile(join(directory, 'paused.bin')))).toBe(sha256(content));
    expect(result.resumes).toBe(1);
    const decisions = events.filter((event) => event.type === 'decision');
    expect(decisions.map((event) => event.action)).toEqual(['fresh', 'resume']);
    const resumedAt = decisions[1]?.type === 'decision' ? decisions[1].offset : 0;
    expect(resumedAt).toBeGreaterThanOrEqual(100_000);
    expect(server.bytesSent()).toBeLessThanOrEqual(size - resumedAt + overlap);
  });

  it('cancels with ABORTED, keeps the partial, and lets the next run resume it at once', async () => {
    server.setFaults({ stallAfterBytes: 100_000 });
    let item!: QueueItem;
    const queue = new DownloadQueue();
    item = queue.add(
      options('cancelled.bin', {
        onEvent: (event) => {
          if (event.type === 'progress' && event.bytesOnDisk >= 100_000) item.cancel();
        },
      }),
    );
    expect((await failureOf(item.result)).code).toBe(ErrorCode.ABORTED);
    await queue.onIdle();
    expect((await readdir(directory)).sort()).toEqual(['cancelled.bin.part', 'cancelled.bin.reget']);
    const kept = await readFile(join(directory, 'cancelled.bin.part'));
    expect(kept.length).toBeGreaterThanOrEqual(100_000);
    expect(Buffer.compare(kept, content.subarray(0, kept.length))).toBe(0);

    server.setFaults({});
    server.resetCounters();
    const result = await download(options('cancelled.bin'));
    expect(result.resumes).toBe(1);
    expect(server.bytesSent()).toBeLessThanOrEqual(size - kept.length + overlap);
    expect(sha256(await readFile(join(directory, 'cancelled.bin')))).toBe(sha256(content));
  });

  it('runs a finished download again as already complete, fetching at most the overlap', async () => {
    const queue = new DownloadQueue({ concurrency: 2 });
    const first = queue.add(options('done.bin'));
    await first.result;
    const before = server.reads.length;
    const again = queue.add(options('done.bin', { connections: 3 }));
    const result = await again.result;
    expect(result.isAlreadyComplete).toBe(true);
    expect(result.fetchedBytes).toBeLessThanOrEqual(overlap);
    // The memory server gives no modification time: the tail was read once, and only the tail.
    expect(server.reads.slice(before).map((read) => [read.start, read.end])).toEqual([
      [size - overlap, undefined],
    ]);
    expect(sha256(await readFile(join(directory, 'done.bin')))).toBe(sha256(content));
    await queue.onIdle();
  });

  it('cancels a waiting item without starting it', async () => {
    const queue = new DownloadQueue({ concurrency: 1 });
    const first = queue.add(options('first.bin'));
    const second = queue.add(options('second.bin'));
    second.cancel();
    expect((await failureOf(second.result)).code).toBe(ErrorCode.ABORTED);
    await first.result;
    await queue.onIdle();
    expect(await readdir(directory)).toEqual(['first.bin']);
  });
});
