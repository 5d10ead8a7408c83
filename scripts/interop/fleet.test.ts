import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DownloadRequest, enqueueDownloads, jobIdFor } from '@reget/bullmq';
import { ErrorCode, type RegetError } from '@reget/core';
import {
  type ConformanceServer,
  type HttpTestServer,
  makeContent,
  seededRandom,
  sha256,
  startFtpServer,
  startHttpServer,
  startSftpServer,
} from '@reget/testkit';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optionalSetting } from './environment.js';
import { FleetWorker, filesUnder, type WorkerLine } from './fleet.js';
import { type RedisProcess, startRedis } from './redis.js';

/**
 * The fleet: three worker processes of @reget/bullmq share one BullMQ queue on a real
 * redis-server and a root directory, download 40 files from the embedded HTTP, FTP and SFTP
 * servers, and are killed with SIGKILL mid-file five times (and restarted). Every file must end
 * byte-identical, every job complete exactly once, nothing be left in the root but the files, the
 * bytes fetched beyond the files' total stay within a few MiB per kill (and no file restart), and the password the
 * workers use never reach Redis. REGET_FLEET_SEED replays a run.
 */

const seed = Number(optionalSetting('REGET_FLEET_SEED') ?? Math.floor(Math.random() * 2 ** 31));
const MiB = 1 << 20;
const password = `fleet-${randomBytes(8).toString('hex')}`;
const kills = 5;
/** Each download is held to this rate, so that a kill lands mid-file. */
const rateBytesPerSecond = 2 * MiB;

let redis: RedisProcess;
let servers: {
  http: HttpTestServer;
  ftp: ConformanceServer;
  sftp: ConformanceServer & { hostKey: { fingerprint: string } };
};
let root: string;

beforeAll(async () => {
  console.log(`fleet seed ${seed} (REGET_FLEET_SEED=${seed} replays it)`);
  redis = await startRedis();
  const [http, ftp, sftp] = await Promise.all([
    startHttpServer(),
    startFtpServer({ user: 'reget', password }),
    startSftpServer({ username: 'reget', password }),
  ]);
  servers = { http, ftp, sftp };
  root = await mkdtemp(join(tmpdir(), 'reget-fleet-'));
});

afterAll(async () => {
  await Promise.allSettled([servers?.http.close(), servers?.ftp.close(), servers?.sftp.close()]);
  await redis?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** The URL of `path` on `server`, without the password (the workers have it). */
function withoutPassword(server: ConformanceServer, path: string): string {
  const url = new URL(server.url(path));
  url.password = '';
  return url.href;
}

function workerConfig(name: string, queueName: string) {
  const origin = (server: ConformanceServer) => {
    const url = new URL(server.url('/'));
    return `${url.protocol}//${url.host}`;
  };
  return {
    connection: redis.connection,
    queueName,
    root,
    concurrency: 2,
    sftpHostKey: servers.sftp.hostKey.fingerprint,
    credentials: {
      [origin(servers.ftp)]: { password },
      [origin(servers.sftp)]: { password },
    },
    // Each worker process is its own "host" for the file locks, so a killed worker's locks are
    // taken over by the lease (another host), or by the pid when it comes back (the same host).
    download: { limitRateBytesPerSecond: rateBytesPerSecond, lockHost: name, lockLeaseMs: 2_000 },
    progressIntervalMs: 300,
    worker: { lockDuration: 3_000, stalledInterval: 1_000, maxStalledCount: 10 },
  };
}

describe('a fleet of workers on BullMQ', () => {
  it('refuses a URL with a password before anything reaches Redis', async () => {
    const queue = new Queue('refusals', { connection: redis.connection });
    try {
      const error = await enqueueDownloads(queue, [
        { url: withoutPassword(servers.http, '/a.bin'), destination: 'a.bin' },
        { url: servers.ftp.url('/b.bin'), destination: 'b.bin' },
      ]).catch((caught: RegetError) => caught);
      expect((error as RegetError).code).toBe(ErrorCode.BAD_INPUT);
      expect((error as RegetError).message).not.toContain(password);
      // Not even the good request was added: every request is checked before any is.
      expect(await queue.getJobCounts()).toSatisfy((counts: Record<string, number>) =>
        Object.values(counts).every((count) => count === 0),
      );
      const stored = await redis.dumpAll();
      expect(stored).not.toContain('a.bin');
      expect(stored).not.toContain(password);
    } finally {
      await queue.close();
    }
  });

  it('survives five SIGKILLs: every file byte-identical, every job completed once, no secret in Redis', async () => {
    const random = seededRandom(seed);
    const protocols = [servers.http, servers.ftp, servers.sftp] as const;
    const files = await Promise.all(
      Array.from({ length: 40 }, async (_, index) => {
        const size = Math.floor(1.5 * MiB + random() * 4 * MiB);
        const content = makeContent(size, seed + index);
        const server = protocols[index % 3]!;
        await server.putFile(`/file-${index}.bin`, content);
        const destination = `p${index % 3}/file-${index}.bin`;
        return {
          destination,
          size,
          sha256: sha256(content),
          url: withoutPassword(server, `/file-${index}.bin`),
        };
      }),
    );
    const total = files.reduce((sum, file) => sum + file.size, 0);
    for (const server of protocols) server.resetCounters();

    const queueName = 'fleet';
    const queue = new Queue(queueName, { connection: redis.connection });
    const events = new QueueEvents(queueName, { connection: redis.connection });
    await events.waitUntilReady();
    const completions = new Map<string, number>();
    const failures: string[] = [];
    let allCompleted!: () => void;
    const isDone = new Promise<void>((resolve) => {
      allCompleted = resolve;
    });
    events.on('completed', ({ jobId }) => {
      completions.set(jobId, (completions.get(jobId) ?? 0) + 1);
      if (completions.size === files.length) allCompleted();
    });
    events.on('failed', ({ jobId, failedReason }) => failures.push(`${jobId}: ${failedReason}`));

    const requests: DownloadRequest[] = files.map(({ url, destination }) => ({ url, destination }));
    const ids = await enqueueDownloads(queue, requests, {
      attempts: 20,
      backoff: { type: 'fixed', delay: 500 },
    });
    expect(ids).toEqual(files.map((file) => jobIdFor(file.destination)));
    // The same files again: the same ids, nothing added twice.
    expect(await enqueueDownloads(queue, requests)).toEqual(ids);
    expect(await queue.count()).toBe(files.length);

    const workers: FleetWorker[] = [];
    const start = async (slot: number) => {
      const worker = new FleetWorker(`worker-${slot}`, workerConfig(`fleet-host-${slot}`, queueName));
      workers[slot] = worker;
      await worker.waitFor(([kind]) => kind === 'ready');
    };
    const starting: Promise<void>[] = [];
    try {
      await Promise.all([0, 1, 2].map(start));
      const finishedTooSoon = isDone.then(() => {
        throw new Error(`every file finished before ${kills} kills: slow the downloads down`);
      });
      finishedTooSoon.catch(() => undefined);
      const midFile = ([kind, , bytes, size]: WorkerLine) => kind === 'progress' && bytes !== size;
      for (let kill = 0; kill < kills; kill++) {
        // A seeded number of progress reports of files still under way, then SIGKILL the worker
        // that sent the last one: it dies mid-file.
        const reports = 1 + Math.floor(random() * 4);
        let victim: FleetWorker | undefined;
        for (let report = 0; report < reports; report++) {
          const reporters = workers.map((worker) => worker.waitFor(midFile).then(() => worker));
          for (const reporter of reporters) reporter.catch(() => undefined);
          victim = await Promise.race([...reporters, finishedTooSoon]);
        }
        const slot = workers.indexOf(victim!);
        await victim!.kill('SIGKILL');
        console.log(`kill ${kill + 1}: worker-${slot} after ${reports} progress reports`);
        // Restarted at once, not awaited: the next kill may pick any worker that reports.
        starting.push(start(slot));
      }
      await Promise.all(starting);
      await isDone;
    } finally {
      await Promise.all(workers.map((worker) => worker.kill('SIGTERM')));
      await events.close();
    }

    expect(failures).toEqual([]);
    expect([...completions.values()].every((count) => count === 1)).toBe(true);
    expect(
      await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed', 'prioritized'),
    ).toEqual({
      completed: files.length,
      failed: 0,
      waiting: 0,
      active: 0,
      delayed: 0,
      prioritized: 0,
    });
    for (const file of files) {
      expect(sha256(await readFile(join(root, file.destination))), file.destination).toBe(file.sha256);
    }
    const destinations = new Set(files.map((file) => file.destination));
    const left = await filesUnder(root);
    expect(left.filter((path) => !destinations.has(path))).toEqual([]);
    expect(left).toHaveLength(files.length);
    const fetched = protocols.reduce((sum, server) => sum + server.bytesSent(), 0);
    console.log(
      `fetched ${fetched} bytes for ${total} (${((fetched - total) / MiB).toFixed(2)} MiB extra, ${kills} kills)`,
    );
    // A kill interrupts two files (concurrency 2). Each costs what was in flight — what the kernel
    // had buffered on loopback, sent by the server and never read (up to about 5 MiB a connection
    // with Linux's autotuning) — and the 64 KiB overlap of the resume.
    expect(fetched - total).toBeLessThanOrEqual(kills * 10 * MiB);
    // Sharper, from the HTTP server's own log: each file's requests start further on every time
    // (a resume never starts below what an earlier run had reached; twice from 0 when a kill
    // came before the file's first byte reached the disk).
    for (const [index, file] of files.entries()) {
      if (index % 3 !== 0) continue;
      const starts = servers.http.requests
        .filter((request) => request.method === 'GET' && request.path === `/file-${index}.bin`)
        .map((request) => Number(/^bytes=(\d+)-/.exec(String(request.headers.range ?? 'bytes=0-'))?.[1]));
      expect(starts[0], file.destination).toBe(0);
      for (let at = 1; at < starts.length; at++)
        expect(starts[at]!, file.destination).toBeGreaterThanOrEqual(starts[at - 1]!);
    }
    const results = await Promise.all(ids.map(async (id) => (await queue.getJob(id))?.returnvalue));
    expect(results.filter((result) => result?.restarts !== 0)).toEqual([]);
    expect(results.filter((result) => (result?.resumes ?? 0) > 0).length).toBeGreaterThan(0);

    // Secrets never enter Redis: not in a job, a log line, an error or an event.
    const stored = await redis.dumpAll();
    expect(stored).toContain(jobIdFor(files[0]!.destination));
    expect(stored).not.toContain(password);
    expect(stored).not.toContain(encodeURIComponent(password));
    await queue.close();
  }, 300_000);
});
