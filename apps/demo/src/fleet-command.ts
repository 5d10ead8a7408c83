import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CredentialsOption, DownloadJobProgress } from '@reget/bullmq';
import { ErrorCode, fileNameFromUrl, RegetError, redactUrl } from '@reget/core';
import { loadAdapters } from './adapters.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import type { EnqueueFlags, StatusFlags, WorkerFlags } from './fleet-options.js';
import { redisConnection } from './fleet-redis.js';
import { formatBytes, formatRate } from './human-units.js';
import { Interrupt } from './interrupt.js';
import type { Io } from './io.js';
import { describeFailure, escapeControl } from './messages.js';
import { parseInputLine, parseUserUrl, readInputFile } from './url-input.js';

/**
 * `reget enqueue`, `reget worker` and `reget status`: the fleet on BullMQ and Redis
 * (@reget/bullmq, loaded only by these commands).
 */

/** Runs a fleet command, turning its failure into one line and an exit code. */
async function guarded(io: Io, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error) {
    io.stderr.write(`${describeFailure(undefined, error)}\n`);
    return exitCodeFor(error);
  }
}

/** `reget enqueue`: one job per URL, its destination the URL's file name (under `--prefix`). */
export function runEnqueueCommand(urls: readonly string[], flags: EnqueueFlags, io: Io): Promise<number> {
  return guarded(io, async () => {
    const parsed = urls.map(parseUserUrl);
    if (flags.inputFile !== undefined) {
      for (const line of await readInputFile(flags.inputFile, io.stdin)) parsed.push(parseInputLine(line));
    }
    if (parsed.length === 0)
      throw new RegetError(ErrorCode.BAD_INPUT, 'Give at least one URL (or -i <file>).');
    if (flags.checksum !== undefined && parsed.length > 1) {
      throw new RegetError(ErrorCode.BAD_INPUT, '--checksum goes with a single URL.');
    }
    const prefix = flags.prefix?.replace(/\/+$/, '');
    const requests = parsed.map((url) => {
      const name = fileNameFromUrl(url);
      if (name === undefined) {
        throw new RegetError(ErrorCode.BAD_INPUT, `${redactUrl(url)} names no file to save it as.`);
      }
      return {
        url: url.href,
        destination: prefix ? `${prefix}/${name}` : name,
        ...(flags.checksum === undefined ? {} : { checksum: flags.checksum }),
      };
    });
    const { enqueueDownloads } = await import('@reget/bullmq');
    const { Queue } = await import('bullmq');
    const queue = new Queue(flags.queue, { connection: redisConnection(flags.redis, io) });
    try {
      const before = await queue.count();
      const ids = await enqueueDownloads(queue, requests);
      const added = (await queue.count()) - before;
      io.stdout.write(
        `Queued ${added} of ${ids.length} file${ids.length === 1 ? '' : 's'} on "${escapeControl(flags.queue)}"` +
          (added < ids.length ? ` (${ids.length - added} already in the queue).\n` : '.\n'),
      );
      return ExitCode.SUCCESS;
    } finally {
      await queue.close();
    }
  });
}

/** Reads `--credentials`: `{ "scheme://host[:port]" | "host": { username?, password? } }`. */
async function readCredentials(path: string | undefined): Promise<CredentialsOption | undefined> {
  if (path === undefined) return undefined;
  const text = await readFile(path, 'utf8').catch((cause: NodeJS.ErrnoException) => {
    throw new RegetError(
      ErrorCode.LOCAL_IO,
      `Cannot read --credentials ${path} (${cause.code ?? cause.message}).`,
    );
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RegetError(ErrorCode.BAD_INPUT, `--credentials ${path} is not JSON.`);
  }
  const isLogin = (login: unknown) =>
    typeof login === 'object' &&
    login !== null &&
    Object.entries(login).every(
      ([key, field]) => ['username', 'password'].includes(key) && typeof field === 'string',
    );
  if (typeof value !== 'object' || value === null || !Object.values(value).every(isLogin)) {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `--credentials ${path} must map hosts to {"username": "…", "password": "…"}.`,
    );
  }
  return value as CredentialsOption;
}

/** `reget worker`: runs the queue's jobs until Ctrl-C, then hands the running ones back. */
export function runWorkerCommand(flags: WorkerFlags, io: Io, userAgent: string): Promise<number> {
  return guarded(io, async () => {
    const connection = redisConnection(flags.redis, io);
    const credentials = await readCredentials(flags.credentials);
    const ca = flags.ca === undefined ? undefined : await readFile(flags.ca);
    const adapters = await loadAdapters(
      ['http://x', 'ftp://x', 'sftp://x'].map((url) => new URL(url)),
      {
        headers: {},
        isInsecure: false,
        ca,
        userAgent,
        identity: flags.identity,
        passphrase: io.env.REGET_KEY_PASSPHRASE,
        password: io.env.REGET_PASSWORD,
        knownHosts: flags.knownHosts,
        hostKey: flags.hostKey,
        acceptsNewHostKey: false,
      },
    );
    const { createDownloadWorker } = await import('@reget/bullmq');
    const interrupt = new Interrupt();
    interrupt.install();
    try {
      const fleet = createDownloadWorker({
        connection,
        queueName: flags.queue,
        root: resolve(flags.dir),
        adapters,
        concurrency: flags.jobs,
        credentials,
        download: {
          connections: flags.connections,
          lockHost: flags.lockHost,
          limitRateBytesPerSecond: flags.limitRate,
        },
      });
      const { worker } = fleet;
      worker.on('active', (job) => io.stderr.write(`started  ${escapeControl(job.data.destination)}\n`));
      worker.on('completed', (job, result) =>
        io.stderr.write(
          `finished ${escapeControl(job.data.destination)} (${formatBytes(result.size)}${result.resumes > 0 ? ', resumed' : ''})\n`,
        ),
      );
      worker.on('failed', (job, error) => {
        if (job)
          io.stderr.write(
            `failed   ${escapeControl(job.data.destination)}: ${escapeControl(error.message)}\n`,
          );
      });
      worker.on('error', (error) => io.stderr.write(`reget: Redis: ${escapeControl(error.message)}\n`));
      await worker.waitUntilReady();
      io.stderr.write(
        `Working on "${escapeControl(flags.queue)}" into ${resolve(flags.dir)}, ${flags.jobs} at a time; Ctrl-C stops.\n`,
      );
      if (!interrupt.isInterrupted)
        await new Promise((done) => interrupt.signal.addEventListener('abort', done));
      io.stderr.write('Stopping: running jobs go back to the queue, their partial files stay.\n');
      await fleet.stop();
      return ExitCode.INTERRUPTED;
    } finally {
      interrupt.uninstall();
    }
  });
}

/** `reget status`: the queue's counts and each active job's progress. */
export function runStatusCommand(flags: StatusFlags, io: Io): Promise<number> {
  return guarded(io, async () => {
    const { Queue } = await import('bullmq');
    const queue = new Queue(flags.queue, { connection: redisConnection(flags.redis, io) });
    try {
      const counts = await queue.getJobCounts(
        'waiting',
        'active',
        'delayed',
        'prioritized',
        'completed',
        'failed',
      );
      const active = (await queue.getActive()).map((job) => {
        const progress = (
          typeof job.progress === 'object' ? job.progress : {}
        ) as Partial<DownloadJobProgress>;
        return {
          id: job.id,
          destination: String(job.data?.destination),
          bytesOnDisk: progress.bytesOnDisk ?? 0,
          total: progress.total ?? null,
          bytesPerSecond: progress.bytesPerSecond ?? 0,
          attemptsMade: job.attemptsMade,
        };
      });
      if (flags.json) {
        io.stdout.write(`${JSON.stringify({ queue: flags.queue, counts, active })}\n`);
        return ExitCode.SUCCESS;
      }
      const order = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;
      io.stdout.write(`${order.map((state) => `${counts[state] ?? 0} ${state}`).join(', ')}\n`);
      for (const job of active) {
        const of = job.total === null ? '' : ` of ${formatBytes(job.total)}`;
        const percent = job.total ? ` (${Math.floor((job.bytesOnDisk / job.total) * 100)}%)` : '';
        io.stdout.write(
          `  ${escapeControl(job.destination)}: ${formatBytes(job.bytesOnDisk)}${of}${percent}, ${formatRate(job.bytesPerSecond)}\n`,
        );
      }
      return ExitCode.SUCCESS;
    } finally {
      await queue.close();
    }
  });
}
