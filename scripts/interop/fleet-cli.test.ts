import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enqueueDownloads, jobIdFor } from '@reget/bullmq';
import { type HttpTestServer, makeContent, sha256, startHttpServer } from '@reget/testkit';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath } from './cli.js';
import { FleetWorker, filesUnder } from './fleet.js';
import { type RedisProcess, startRedis } from './redis.js';

/**
 * The fleet from the command line (`reget enqueue`, `worker`, `status`) on a real redis-server,
 * and a Redis that goes away for a few seconds under a running worker.
 */

const MiB = 1 << 20;
let redis: RedisProcess;
let http: HttpTestServer;
let root: string;

beforeAll(async () => {
  redis = await startRedis(true);
  http = await startHttpServer();
  root = await mkdtemp(join(tmpdir(), 'reget-fleet-cli-'));
});

afterAll(async () => {
  await http?.close();
  await redis?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Runs the built `reget` to its end. */
async function reget(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** Resolves on the next `progress` event of the queue's job `jobId`. */
function nextProgress(events: QueueEvents, jobId: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = ({ jobId: id }: { jobId: string }) => {
      if (id !== jobId) return;
      events.off('progress', listener);
      resolve();
    };
    events.on('progress', listener);
  });
}

describe('reget enqueue, worker and status', () => {
  it('queue, watch, Ctrl-C a worker (jobs go back, partials stay), and resume with another', async () => {
    const queueName = 'cli';
    const files = ['a.bin', 'b.bin'].map((name, index) => ({
      name,
      content: makeContent(6 * MiB, 11 + index),
    }));
    for (const file of files) await http.putFile(`/${file.name}`, file.content);
    const redisFlags = ['--redis', redis.url, '--queue', queueName];

    const refused = await reget(['enqueue', ...redisFlags, `http://user:cli-secret@127.0.0.1:1/a.bin`]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).not.toContain('cli-secret');

    const urls = files.map((file) => `${http.origin}/${file.name}`);
    const queued = await reget(['enqueue', ...redisFlags, '--prefix', 'data', ...urls]);
    expect(queued.code, queued.stderr).toBe(0);
    expect(queued.stdout).toContain('Queued 2 of 2 files');
    expect((await reget(['enqueue', ...redisFlags, '--prefix', 'data', ...urls])).stdout).toContain(
      'Queued 0 of 2 files',
    );

    const queue = new Queue(queueName, { connection: redis.connection });
    const events = new QueueEvents(queueName, { connection: redis.connection });
    await events.waitUntilReady();
    const ids = files.map((file) => jobIdFor(`data/${file.name}`));
    try {
      const worker = spawn(
        process.execPath,
        [cliPath, 'worker', ...redisFlags, '-d', root, '--limit-rate', '300K'],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      const exited = once(worker, 'exit');
      await Promise.all(ids.map((id) => nextProgress(events, id)));
      const first = JSON.parse((await reget(['status', ...redisFlags, '--json'])).stdout);
      expect(first.counts).toMatchObject({ active: 2, waiting: 0 });
      const before = first.active.find((job: { id: string }) => job.id === ids[0]);
      expect(before).toMatchObject({ destination: 'data/a.bin', total: 6 * MiB });
      await nextProgress(events, ids[0]!);
      const second = JSON.parse((await reget(['status', ...redisFlags, '--json'])).stdout);
      const after = second.active.find((job: { id: string }) => job.id === ids[0]);
      expect(after.bytesOnDisk).toBeGreaterThan(before.bytesOnDisk);
      const text = await reget(['status', ...redisFlags]);
      expect(text.stdout).toMatch(/^0 waiting, 2 active, /);
      expect(text.stdout).toContain('data/a.bin: ');

      worker.kill('SIGINT');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(130);
      expect(await queue.getJobCounts('waiting', 'active', 'failed', 'completed')).toEqual({
        waiting: 2,
        active: 0,
        failed: 0,
        completed: 0,
      });
      for (const id of ids) expect((await queue.getJob(id))?.attemptsMade, id).toBe(0);
      const partials = (await readdir(join(root, 'data'))).filter((name) => name.endsWith('.part'));
      expect(partials.sort()).toEqual(['a.bin.part', 'b.bin.part']);

      const completed = Promise.all(
        ids.map(async (id) => (await queue.getJob(id))!.waitUntilFinished(events)),
      );
      const resumer = spawn(process.execPath, [cliPath, 'worker', ...redisFlags, '-d', root], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const resumerExited = once(resumer, 'exit');
      await completed;
      resumer.kill('SIGINT');
      await resumerExited;
      const results = await Promise.all(ids.map(async (id) => (await queue.getJob(id))?.returnvalue));
      for (const result of results) expect(result).toMatchObject({ resumes: 1, restarts: 0 });
      for (const file of files) {
        expect(sha256(await readFile(join(root, 'data', file.name)))).toBe(sha256(file.content));
      }
      expect(await filesUnder(join(root, 'data'))).toEqual(['a.bin', 'b.bin']);
    } finally {
      await events.close();
      await queue.close();
    }
  });
});

describe('a Redis that goes away for a few seconds', () => {
  it('leaves the workers downloading, keeping their partials; they reconnect and finish', async () => {
    const queueName = 'outage';
    const outageRoot = join(root, 'outage');
    await mkdir(outageRoot);
    const files = [0, 1, 2, 3].map((index) => ({
      name: `o-${index}.bin`,
      content: makeContent(4 * MiB, 40 + index),
    }));
    for (const file of files) await http.putFile(`/${file.name}`, file.content);
    const queue = new Queue(queueName, { connection: redis.connection });
    const ids = await enqueueDownloads(
      queue,
      files.map((file) => ({ url: `${http.origin}/${file.name}`, destination: file.name })),
    );
    await queue.close();
    http.resetCounters();
    const worker = new FleetWorker('outage-worker', {
      connection: redis.connection,
      queueName,
      root: outageRoot,
      concurrency: 2,
      download: { limitRateBytesPerSecond: 2 * MiB },
      progressIntervalMs: 200,
    });
    const done = new Set<string>();
    const allDone = worker.waitFor(([kind, job]) => {
      if (kind === 'completed') done.add(job!);
      return done.size === ids.length;
    });
    allDone.catch(() => undefined);
    try {
      await worker.waitFor(([kind]) => kind === 'ready');
      await worker.waitFor(([kind, , bytes]) => kind === 'progress' && Number(bytes) > 0);
      await redis.stop(true);
      // Redis stays away for 3 s (the scenario, not a wait for a race) while the worker goes on
      // downloading: its progress reports fail quietly.
      const away = Date.now();
      await worker.waitFor(([kind]) => kind === 'progress');
      while (Date.now() - away < 3_000) {
        await new Promise<void>((resolve) => setTimeout(resolve, 3_000 - (Date.now() - away)));
      }
      await redis.restart();
      await allDone;
    } catch (error) {
      throw new Error(`${String(error)}\n${worker.lines.map((line) => line.join(' ')).join('\n')}`);
    } finally {
      await worker.kill('SIGTERM');
    }
    expect([...done].sort()).toEqual([...ids].sort());
    for (const file of files) {
      expect(sha256(await readFile(join(outageRoot, file.name))), file.name).toBe(sha256(file.content));
    }
    expect(await filesUnder(outageRoot)).toEqual(files.map((file) => file.name).sort());
    // The partials were kept: the outage cost no refetch beyond what loopback buffers held.
    expect(http.bytesSent() - files.length * 4 * MiB).toBeLessThanOrEqual(8 * MiB);
  }, 120_000);
});
