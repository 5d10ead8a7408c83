import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enqueueDownloads } from '@reget/bullmq';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * The fleet scenario: N `reget worker` processes (N = 1, 2, 4), each running 2 jobs at once, share
 * one BullMQ queue on a local redis-server and download from nginx's /throttled/ location, which
 * allows each connection a fixed rate (20 MiB/s by default). With the rate as the only limit, the
 * fleet should reach N × 2 × the rate; the target is 90 % of it. Redis commands are counted (INFO
 * stats, every command any client sent, BullMQ's polls included) and reported per MiB downloaded.
 */

const mebibyte = 1024 * 1024;
const cli = fileURLToPath(new URL('../../apps/demo/bin/reget.js', import.meta.url));
const log = (message) => process.stderr.write(`[bench] ${message}\n`);

/** What the fleet should reach: this fraction of N × 2 × the per-connection rate. */
export const fleetTarget = 0.9;

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

async function startRedis(directory) {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  await new Promise((resolve, reject) => {
    child.on('exit', () => reject(new Error(`redis-server ended:\n${output}`)));
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) resolve();
    });
  });
  child.removeAllListeners('exit');
  return { port, child };
}

async function commandsProcessed(connection) {
  const client = new Redis({ ...connection, maxRetriesPerRequest: 1 });
  try {
    return Number(/total_commands_processed:(\d+)/.exec(await client.info('stats'))[1]);
  } finally {
    client.disconnect();
  }
}

/** One run: `workers` processes, `filesPerWorker` × workers files of `sizeBytes` each. */
async function runFleet({ workers, url, files, sizeBytes, connection, scratch }) {
  const queueName = `bench-${workers}-${Date.now()}`;
  const root = join(scratch, queueName);
  mkdirSync(root);
  const queue = new Queue(queueName, { connection });
  const events = new QueueEvents(queueName, { connection });
  await events.waitUntilReady();
  let completed = 0;
  let failed = 0;
  let finish;
  const finished = new Promise((resolve) => {
    finish = resolve;
  });
  const count = () => completed + failed === files.length && finish();
  events.on('completed', () => {
    completed += 1;
    count();
  });
  events.on('failed', ({ failedReason }) => {
    failed += 1;
    log(`fleet: a job failed: ${failedReason}`);
    count();
  });
  const before = await commandsProcessed(connection);
  const processes = Array.from({ length: workers }, () =>
    spawn(
      cli,
      [
        'worker',
        '--redis',
        `redis://127.0.0.1:${connection.port}`,
        '--queue',
        queueName,
        '-d',
        root,
        '-j',
        '2',
      ],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    ),
  );
  // The clock starts when the jobs are there to take: workers already polling, as in production.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const started = performance.now();
  await enqueueDownloads(
    queue,
    files.map((name, index) => ({ url: `${url}/${name}`, destination: `${index}-${name}` })),
  );
  await finished;
  const seconds = (performance.now() - started) / 1000;
  const commands = (await commandsProcessed(connection)) - before;
  for (const child of processes) child.kill('SIGINT');
  await Promise.all(processes.map((child) => once(child, 'exit')));
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  rmSync(root, { recursive: true, force: true });
  const mebibytes = (files.length * sizeBytes) / mebibyte;
  return {
    workers,
    files: files.length,
    failed,
    seconds,
    mebibytesPerSecond: mebibytes / seconds,
    commandsPerMebibyte: commands / mebibytes,
  };
}

/**
 * Runs the fleet with 1, 2 and 4 workers against `settings`' nginx (/throttled/`file`, the same
 * file under several job destinations). Returns one row per fleet size.
 */
export async function fleetMatrix(config, settings, file, sizeBytes, scratch) {
  const directory = join(scratch, 'redis');
  mkdirSync(directory, { recursive: true });
  const redis = await startRedis(directory);
  const connection = { host: '127.0.0.1', port: redis.port };
  const url = `${settings.REGET_INTEROP_HTTP_URL}/throttled`;
  const rows = [];
  try {
    for (const workers of config.fleet.workers) {
      // Three rounds of jobs per slot, so start and end (idle slots) weigh little.
      const files = Array.from({ length: workers * 2 * 3 }, () => file);
      const row = await runFleet({ workers, url, files, sizeBytes, connection, scratch });
      const target = fleetTarget * workers * 2 * (config.throttled.limitBytesPerSecond / mebibyte);
      log(
        `fleet: ${workers} worker(s) × 2 jobs: ${row.mebibytesPerSecond.toFixed(1)} MiB/s (target ≥ ${target.toFixed(1)}), ${row.commandsPerMebibyte.toFixed(2)} Redis commands per MiB`,
      );
      rows.push({ ...row, targetMebibytesPerSecond: target });
    }
  } finally {
    redis.child.kill('SIGTERM');
    await once(redis.child, 'exit');
  }
  return rows;
}

/** The fleet rows as a markdown table. */
export function fleetTable(rows) {
  const lines = [
    '| workers × jobs | files | MiB/s | target (90 % of N × 2 × rate) | Redis commands per MiB |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (row) =>
        `| ${row.workers} × 2 | ${row.files} | ${row.mebibytesPerSecond.toFixed(1)} | ≥ ${row.targetMebibytesPerSecond.toFixed(1)} | ${row.commandsPerMebibyte.toFixed(2)} |`,
    ),
  ];
  return lines.join('\n');
}
