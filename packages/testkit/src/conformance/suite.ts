import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DownloadEvent, type DownloadOptions, DownloadQueue, download, ErrorCode } from '@reget/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deriveSeed, makeContent, seededRandom, sha256 } from '../content.js';
import { failureOf } from '../harness.js';
import { finishedSlice } from './finished.js';
import type { ConformanceServer, ConformanceTarget } from './target.js';

const overlap = 65_536;
const size = 512 * 1024 + 123;

/** Options every scenario shares: fast retries, short timeouts, no real waiting. */
function options(
  server: ConformanceServer,
  path: string,
  destination: string,
  events: DownloadEvent[],
): DownloadOptions {
  return {
    url: server.url(path),
    destination,
    adapters: [server.adapter],
    retries: 3,
    retryDelayMs: 1,
    connectTimeoutMs: 5_000,
    idleTimeoutMs: 5_000,
    onEvent: (event) => events.push(event),
  };
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * The adapter conformance suite (docs/design.md, "Tests"): every scenario core relies on, run against a
 * real server through the adapter. Scenarios that need a fault the server cannot inject are listed
 * by name as not run, never skipped silently.
 */
export function runConformanceSuite(target: ConformanceTarget): void {
  describe(`conformance: ${target.name}`, () => {
    let server: ConformanceServer;
    let directory: string;
    let events: DownloadEvent[];
    let counter = 0;
    // Scenarios that need something of the server: each runs to its end (`ran`) or is listed as not
    // run, never skipped silently. The last test checks that every one is in exactly one list.
    const ran: string[] = [];
    const notRun: string[] = [];
    const content = makeContent(size, 7);
    const fresh = () => `f${++counter}.bin`;
    const setup = async () => {
      const name = fresh();
      await server.putFile(`/${name}`, content);
      server.setFaults({});
      server.resetCounters();
      return { path: `/${name}`, destination: join(directory, name) };
    };

    beforeAll(async () => {
      server = await target.start();
      directory = await mkdtemp(join(tmpdir(), `reget-conformance-${target.name}-`));
    });
    afterAll(async () => {
      await server?.close();
      if (directory) await rm(directory, { recursive: true, force: true });
    });
    beforeEach(() => {
      events = [];
    });

    it('downloads a fresh file byte for byte, with the true total in every progress event', async () => {
      const { path, destination } = await setup();
      const result = await download(options(server, path, destination, events));
      expect(sha256(await readFile(destination))).toBe(sha256(content));
      expect(result.size).toBe(size);
      expect(await exists(`${destination}.part`)).toBe(false);
      expect(await exists(`${destination}.reget`)).toBe(false);
      const progress = events.filter((event) => event.type === 'progress');
      expect(progress.length).toBeGreaterThan(0);
      for (const event of progress) expect(event.total).toBe(size);
      expect(server.bytesSent()).toBe(size);
    });

    for (const cut of [1, 511, 512, 513, overlap - 1, overlap + 1, Math.floor(size / 2), size - 1]) {
      it(`resumes after a drop at byte ${cut}, fetching only the missing bytes plus the overlap`, async () => {
        const { path, destination } = await setup();
        server.setFaults({ dropAfterBytes: cut, dropTimes: 1 });
        const first = await failureOf(
          download({ ...options(server, path, destination, events), retries: 0 }),
        );
        expect(first.code).toBe(ErrorCode.PARTIAL);
        const onDisk = await readFile(`${destination}.part`);
        expect(onDisk.length).toBe(cut);
        expect(Buffer.compare(onDisk, content.subarray(0, cut))).toBe(0);
        expect(await exists(`${destination}.reget`)).toBe(true);
        server.resetCounters();
        const result = await download(options(server, path, destination, events));
        expect(sha256(await readFile(destination))).toBe(sha256(content));
        expect(result.resumes).toBe(1);
        expect(server.bytesSent()).toBeLessThanOrEqual(size - cut + overlap);
      });
    }

    it('retries a connection dropped mid-body several times within one call', async () => {
      const { path, destination } = await setup();
      server.setFaults({ dropAfterBytes: 100_000, dropTimes: 3 });
      const result = await download(options(server, path, destination, events));
      expect(sha256(await readFile(destination))).toBe(sha256(content));
      expect(events.filter((event) => event.type === 'retry').length).toBe(3);
      expect(server.bytesSent()).toBeLessThanOrEqual(size + 3 * overlap);
      expect(result.restarts).toBe(0);
    });

    it('is byte-identical for random cut points, several cuts per download (seeded)', async () => {
      const base = Number(process.env.REGET_SEED ?? 20261125);
      // Each target and scenario draws its own numbers; REGET_SEED=<base> replays them all.
      const seed = deriveSeed(base, `${target.name}: random cuts`);
      const random = seededRandom(seed);
      for (let round = 0; round < 10; round++) {
        const { path, destination } = await setup();
        const cut = 1 + Math.floor(random() * (size / 3));
        const times = 1 + Math.floor(random() * 3);
        const where = `REGET_SEED=${base} (derived ${seed}) round ${round}: cut at ${cut} x${times}`;
        server.setFaults({ dropAfterBytes: cut, dropTimes: times });
        await download({ ...options(server, path, destination, events), retries: times }).catch(
          (error: unknown) => expect.fail(`${where}: ${String(error)}`),
        );
        const ok = sha256(await readFile(destination)) === sha256(content);
        expect(ok, where).toBe(true);
        expect(server.bytesSent(), where).toBeLessThanOrEqual(size + times * overlap);
      }
    });

    it('restarts from zero, and says why, when the remote changed between runs', async () => {
      const { path, destination } = await setup();
      server.setFaults({ dropAfterBytes: 200_000, dropTimes: 1 });
      await failureOf(download({ ...options(server, path, destination, events), retries: 0 }));
      const replacement = makeContent(size, 99);
      await server.putFile(path, replacement);
      server.setFaults({});
      const result = await download(options(server, path, destination, events));
      expect(sha256(await readFile(destination))).toBe(sha256(replacement));
      expect(result.restarts).toBe(1);
      expect(events.some((event) => event.type === 'restart' && event.reason === 'remote changed')).toBe(
        true,
      );
    });

    it('keeps the partial untouched and fails REMOTE_CHANGED when restart is refused', async () => {
      const { path, destination } = await setup();
      server.setFaults({ dropAfterBytes: 200_000, dropTimes: 1 });
      await failureOf(download({ ...options(server, path, destination, events), retries: 0 }));
      const before = await readFile(`${destination}.part`);
      await server.putFile(path, makeContent(size, 98));
      server.setFaults({});
      const error = await failureOf(
        download({ ...options(server, path, destination, events), allowRestart: false }),
      );
      expect(error.code).toBe(ErrorCode.REMOTE_CHANGED);
      expect(Buffer.compare(await readFile(`${destination}.part`), before)).toBe(0);
      expect(await exists(destination)).toBe(false);
    });

    it('restarts when the remote shrank below the bytes on disk', async () => {
      const { path, destination } = await setup();
      server.setFaults({ dropAfterBytes: 400_000, dropTimes: 1 });
      await failureOf(download({ ...options(server, path, destination, events), retries: 0 }));
      const smaller = makeContent(100_000, 5);
      await server.putFile(path, smaller);
      server.setFaults({});
      const result = await download(options(server, path, destination, events));
      expect(sha256(await readFile(destination))).toBe(sha256(smaller));
      expect(result.restarts).toBe(1);
    });

    it('reports NOT_FOUND and leaves nothing behind', async () => {
      const destination = join(directory, fresh());
      const error = await failureOf(download(options(server, '/missing.bin', destination, events)));
      expect(error.code).toBe(ErrorCode.NOT_FOUND);
      expect(error.retryable).toBe(false);
      for (const suffix of ['', '.part', '.reget', '.reget.lock'])
        expect(await exists(destination + suffix)).toBe(false);
    });

    it('stops promptly on abort and resumes on the next run', async () => {
      const { path, destination } = await setup();
      server.setFaults({ stallAfterBytes: 150_000 });
      const controller = new AbortController();
      const pending = download({
        ...options(server, path, destination, events),
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'progress' && event.bytesOnDisk >= 150_000) controller.abort();
        },
        progressIntervalMs: 0,
      });
      const error = await failureOf(pending);
      expect(error.code).toBe(ErrorCode.ABORTED);
      const kept = await readFile(`${destination}.part`);
      expect(kept.length).toBeGreaterThanOrEqual(150_000);
      expect(Buffer.compare(kept, content.subarray(0, kept.length))).toBe(0);
      server.setFaults({});
      server.resetCounters();
      await download(options(server, path, destination, events));
      expect(sha256(await readFile(destination))).toBe(sha256(content));
      expect(server.bytesSent()).toBeLessThanOrEqual(size - kept.length + overlap);
    });

    it('treats an existing complete file as already complete when asked to continue', async () => {
      const { path, destination } = await setup();
      await writeFile(destination, content);
      server.resetCounters();
      const result = await download({ ...options(server, path, destination, events), ifExists: 'continue' });
      expect(result.isAlreadyComplete).toBe(true);
      expect(server.bytesSent()).toBeLessThanOrEqual(overlap);
      expect(sha256(await readFile(destination))).toBe(sha256(content));
    });

    it('verifies a checksum, and keeps a mismatching file out of place', async () => {
      const { path, destination } = await setup();
      const good = await download({
        ...options(server, path, destination, events),
        checksum: `sha256:${sha256(content)}`,
      });
      expect(good.checksum).toBe(`sha256:${sha256(content)}`);
      const other = join(directory, fresh());
      const error = await failureOf(
        download({ ...options(server, path, other, events), checksum: `sha256:${'0'.repeat(64)}` }),
      );
      expect(error.code).toBe(ErrorCode.CHECKSUM);
      expect(await exists(other)).toBe(false);
      expect(await exists(`${other}.corrupt`)).toBe(true);
    });

    finishedSlice({
      server: () => server,
      setup,
      options: (path, destination, sink) => options(server, path, destination, sink),
      content,
      overlap,
    });

    describe('segmented (4 connections)', () => {
      const segmented = (path: string, destination: string) => ({
        ...options(server, path, destination, events),
        connections: 4,
        minSegmentBytes: 32 * 1024,
        retries: 6,
      });
      const usedConnections = () => events.find((event) => event.type === 'segments');

      if (target.capabilities.segments) {
        it('downloads with several connections, each piece asked for at its own offset', async () => {
          const { path, destination } = await setup();
          await download(segmented(path, destination));
          expect(sha256(await readFile(destination))).toBe(sha256(content));
          // What the server saw first, then what core reports: four pieces, so transfers at four
          // offsets at least (more when a connection steals from another, or for FTP's head check).
          const starts = server.transferStarts();
          expect(starts).toContain(0);
          expect(new Set(starts).size).toBeGreaterThanOrEqual(4);
          expect(usedConnections()).toMatchObject({ requested: 4, used: 4 });
        });
      } else {
        it('downloads with one connection, and says why', async () => {
          const { path, destination } = await setup();
          await download(segmented(path, destination));
          expect(sha256(await readFile(destination))).toBe(sha256(content));
          expect(usedConnections()).toMatchObject({ requested: 4, used: 1, reason: expect.any(String) });
          expect(server.transferStarts()).toEqual([0]);
        });
      }

      it('survives random cuts on random segments, byte-identical (seeded)', async () => {
        const base = Number(process.env.REGET_SEED ?? 4242);
        const seed = deriveSeed(base, `${target.name}: segmented random cuts`);
        const random = seededRandom(seed);
        for (let round = 0; round < 6; round++) {
          const { path, destination } = await setup();
          const cut = 1 + Math.floor(random() * 100_000);
          const times = 1 + Math.floor(random() * 4);
          const where = `REGET_SEED=${base} (derived ${seed}) round ${round}: cut at ${cut} x${times}`;
          server.setFaults({ dropAfterBytes: cut, dropTimes: times });
          const result = await download(segmented(path, destination)).catch((error: unknown) =>
            expect.fail(`${where}: ${String(error)}`),
          );
          expect(sha256(await readFile(destination)), where).toBe(sha256(content));
          expect(result.restarts, where).toBe(0);
        }
      });

      it('resumes every segment after an interruption, from what is on disk', async () => {
        const { path, destination } = await setup();
        // Past FTP's 64 KiB head read (a cut there fails every segment before its first byte) and
        // short of a segment's ~128 KiB: every segment gets some bytes, and none finishes.
        server.setFaults({ dropAfterBytes: 100_000 });
        const error = await failureOf(download({ ...segmented(path, destination), retries: 0 }));
        expect([ErrorCode.PARTIAL, ErrorCode.NETWORK]).toContain(error.code);
        const journal = JSON.parse(await readFile(`${destination}.reget`, 'utf8')) as {
          ranges: [number, number][];
        };
        const partial = await readFile(`${destination}.part`);
        // Every segment was cut after its first bytes: the journal holds one range per segment.
        if (target.capabilities.segments) expect(journal.ranges.length).toBe(4);
        for (const [start, end] of journal.ranges) {
          expect(Buffer.compare(partial.subarray(start, end), content.subarray(start, end))).toBe(0);
        }
        server.setFaults({});
        const result = await download(segmented(path, destination));
        expect(sha256(await readFile(destination))).toBe(sha256(content));
        expect(result.resumes).toBe(1);
        expect(result.restarts).toBe(0);
      });

      it('restarts the whole file, never mixing versions, when the remote changes mid-way', async () => {
        const { path, destination } = await setup();
        server.setFaults({ dropAfterBytes: 60_000 });
        await failureOf(download({ ...segmented(path, destination), retries: 0 }));
        const replacement = makeContent(size, 1234);
        await server.putFile(path, replacement);
        server.setFaults({});
        const result = await download(segmented(path, destination));
        expect(sha256(await readFile(destination))).toBe(sha256(replacement));
        expect(result.restarts).toBe(1);
      });

      // A server that cannot start at an offset, detected on whichever segment asks first: the
      // file is still right, and the download says that it went on with one connection.
      const fallbacks = [
        [
          'answers every range with the whole file',
          { ignoreRange: true },
          target.capabilities.ignoreRange,
          'segments, ignore-range',
        ],
        [
          'refuses to start at an offset',
          { refuseRange: true },
          target.capabilities.refuseRange,
          'segments, refuse-range',
        ],
      ] as const;
      for (const [what, faults, isProvoked, scenario] of fallbacks) {
        if (!isProvoked) {
          notRun.push(scenario);
          continue;
        }
        it(`falls back to one connection, byte-identical, when the server ${what}`, async () => {
          const { path, destination } = await setup();
          server.setFaults(faults);
          const result = await download(segmented(path, destination));
          expect(sha256(await readFile(destination))).toBe(sha256(content));
          const plans = events.filter((event) => event.type === 'segments');
          expect(plans.at(-1)).toMatchObject({ requested: 4, used: 1, reason: expect.any(String) });
          // Found before a segment started (the probe said so), or by one: then one restart from zero.
          expect(result.restarts).toBeLessThanOrEqual(1);
          if (result.restarts === 1) {
            expect(events.find((event) => event.type === 'restart')).toMatchObject({
              reason: expect.stringMatching(/range/),
            });
          }
          ran.push(scenario);
        });
      }
    });

    if (target.capabilities.stall) {
      it('times out a stalled body, keeps the partial, and resumes', async () => {
        const { path, destination } = await setup();
        server.setFaults({ stallAfterBytes: 100_000 });
        const error = await failureOf(
          download({ ...options(server, path, destination, events), retries: 0, idleTimeoutMs: 300 }),
        );
        expect(error.code).toBe(ErrorCode.TIMEOUT);
        expect((await readFile(`${destination}.part`)).length).toBeGreaterThan(0);
        server.setFaults({});
        await download(options(server, path, destination, events));
        expect(sha256(await readFile(destination))).toBe(sha256(content));
        ran.push('stall');
      });
    } else notRun.push('stall');

    if (target.capabilities.ignoreRange) {
      it('never appends a whole-file answer to a partial: restarts, or fails with the partial untouched', async () => {
        const { path, destination } = await setup();
        server.setFaults({ dropAfterBytes: 200_000, dropTimes: 1 });
        await failureOf(download({ ...options(server, path, destination, events), retries: 0 }));
        const before = await readFile(`${destination}.part`);
        server.setFaults({ ignoreRange: true });
        const error = await failureOf(
          download({ ...options(server, path, destination, events), allowRestart: false }),
        );
        expect([ErrorCode.RANGE_NOT_SUPPORTED, ErrorCode.REMOTE_CHANGED]).toContain(error.code);
        expect(Buffer.compare(await readFile(`${destination}.part`), before)).toBe(0);
        const result = await download(options(server, path, destination, events));
        expect(result.restarts).toBe(1);
        expect(sha256(await readFile(destination))).toBe(sha256(content));
        ran.push('ignore-range');
      });
    } else notRun.push('ignore-range');

    if (target.capabilities.refuseRange) {
      it('restarts when the server refuses to start at an offset', async () => {
        const { path, destination } = await setup();
        server.setFaults({ dropAfterBytes: 200_000, dropTimes: 1 });
        await failureOf(download({ ...options(server, path, destination, events), retries: 0 }));
        server.setFaults({ refuseRange: true });
        const refused = await failureOf(
          download({ ...options(server, path, destination, events), allowRestart: false }),
        );
        expect(refused.code).toBe(ErrorCode.RANGE_NOT_SUPPORTED);
        const result = await download(options(server, path, destination, events));
        expect(result.restarts).toBe(1);
        expect(sha256(await readFile(destination))).toBe(sha256(content));
        ran.push('refuse-range');
      });
    } else notRun.push('refuse-range');

    it('reports AUTH for refused credentials without retrying, or shows that the server has no login', async () => {
      const url = server.unauthorizedUrl?.('/any.bin');
      if (url === undefined) {
        // Listed as not run, and truly not provokable: credentials the server could refuse are
        // taken like any others.
        notRun.push('auth');
        const { path, destination } = await setup();
        const anyone = new URL(server.url(path));
        anyone.username = 'wrong';
        anyone.password = 'secret';
        await download({ ...options(server, path, destination, events), url: anyone.href });
        expect(sha256(await readFile(destination))).toBe(sha256(content));
        return;
      }
      const destination = join(directory, fresh());
      const error = await failureOf(download({ ...options(server, '/any.bin', destination, events), url }));
      expect(error.code).toBe(ErrorCode.AUTH);
      expect(events.some((event) => event.type === 'retry')).toBe(false);
      // The refused password itself, as the URL carries it and decoded: never in the message.
      const refused = new URL(url).password;
      expect(refused).not.toBe('');
      expect(error.message).not.toContain(refused);
      expect(error.message).not.toContain(decodeURIComponent(refused));
      ran.push('auth');
    });

    it('reuses connections across the downloads of one adapter: 12 files, 3 at a time, 3 connections at most', async () => {
      const names = Array.from({ length: 12 }, () => fresh());
      const contents = names.map((_, index) => makeContent(3_000 + index * 101, index));
      for (const [index, name] of names.entries()) await server.putFile(`/${name}`, contents[index]!);
      server.setFaults({});
      const before = server.connectionsAccepted?.();
      const queue = new DownloadQueue({ concurrency: 3 });
      const items = names.map((name) =>
        queue.add(options(server, `/${name}`, join(directory, name), events)),
      );
      await Promise.all(items.map((item) => item.result));
      for (const [index, name] of names.entries()) {
        expect(sha256(await readFile(join(directory, name)))).toBe(sha256(contents[index]!));
      }
      if (before === undefined) {
        notRun.push('connection reuse');
        return;
      }
      // One per download running at once, whatever the number of files; idle ones kept from the
      // scenarios before may serve too.
      expect(server.connectionsAccepted!() - before).toBeLessThanOrEqual(3);
      ran.push('connection reuse');
    });

    it('runs or lists as not run every scenario that needs something of the server', () => {
      // Each in exactly one list: one in neither was skipped silently (or gave up before its end).
      const scenarios = [
        'stall',
        'ignore-range',
        'refuse-range',
        'segments, ignore-range',
        'segments, refuse-range',
        'auth',
        'connection reuse',
      ];
      expect([...ran, ...notRun].sort()).toEqual(scenarios.sort());
    });
  });
}
