import {
  type Adapter,
  type DownloadEvent,
  type DownloadOptions,
  download,
  isRegetError,
  parseUrl,
} from '@reget/core';
import { type ConnectionOptions, type Job, WaitingError, Worker, type WorkerOptions } from 'bullmq';
import { type CredentialsOption, withCredentials } from './credentials.js';
import { prepareDestination } from './destination.js';
import { jobFailure } from './failure.js';
import type { DownloadJobData, DownloadJobProgress, DownloadJobResult } from './job.js';
import { checkRequest } from './producer.js';
import { ProgressReporter } from './progress.js';

/** Options of {@link createDownloadWorker}; `connection`, `root` and `adapters` are required. */
export interface DownloadWorkerOptions {
  /** How to reach Redis (ioredis options or an ioredis instance). */
  readonly connection: ConnectionOptions;
  /** The queue's name. Default `reget`. */
  readonly queueName?: string | undefined;
  /**
   * The directory every job's destination is relative to, shared by every worker (local disk for
   * one machine; NFS or similar for many, each machine with its own `lockHost`).
   */
  readonly root: string;
  /** The adapters, configured with this worker's identities, host keys and secret headers. */
  readonly adapters: readonly Adapter[];
  /** Jobs this worker runs at once. Default 2. */
  readonly concurrency?: number | undefined;
  /** Logins per host, added to a job's URL in this process only; never stored in Redis. */
  readonly credentials?: CredentialsOption | undefined;
  /** Options for every `download()` (connections, timeouts, `lockHost`, `lockLeaseMs`…). */
  readonly download?:
    | Omit<
        DownloadOptions,
        'url' | 'destination' | 'adapters' | 'signal' | 'onEvent' | 'checksum' | 'mirrors'
      >
    | undefined;
  /** Least time between two `job.updateProgress` calls of one job, in ms. Default 2 000. */
  readonly progressIntervalMs?: number | undefined;
  /**
   * BullMQ worker options, over this package's defaults for long downloads: `lockDuration` 60 s
   * (renewed every 30 s while the job runs, so a download may last for hours), `stalledInterval`
   * 30 s, `maxStalledCount` 10 (a job whose worker died goes to another worker up to ten times —
   * each time it resumes from the bytes on disk, so a stall costs little).
   */
  readonly worker?: Partial<WorkerOptions> | undefined;
  /** Every download event of every job, for a front end that prints them. Must not throw. */
  readonly onEvent?: ((job: Job<DownloadJobData>, event: DownloadEvent) => void) | undefined;
}

/** A running download worker. */
export interface DownloadWorker {
  /** The BullMQ worker (events: `completed`, `failed`, `progress`, `error`…). */
  readonly worker: Worker<DownloadJobData, DownloadJobResult>;
  /**
   * Stops without finishing anything half-way: running downloads are aborted, their partials and
   * journals stay in the root, and their jobs go back to the queue for any worker to resume. Then
   * the worker closes.
   */
  stop(): Promise<void>;
}

/** BullMQ worker defaults chosen for long downloads (see {@link DownloadWorkerOptions.worker}). */
export const defaultDownloadWorkerOptions = {
  lockDuration: 60_000,
  stalledInterval: 30_000,
  maxStalledCount: 10,
} as const;

const stopReason = 'reget: the worker is stopping';

/**
 * Creates a BullMQ worker that runs core's `download()` for each job of the queue into `root`,
 * reports `{ bytesOnDisk, total, bytesPerSecond }` progress, and returns a
 * {@link DownloadJobResult}. Failures are mapped by {@link jobFailure}: unrecoverable ones fail
 * the job at once, retryable ones use the job's attempts and backoff, resuming each time.
 */
export function createDownloadWorker(options: DownloadWorkerOptions): DownloadWorker {
  const intervalMs = options.progressIntervalMs ?? 2_000;
  const processor = async (
    job: Job<DownloadJobData, DownloadJobResult>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<DownloadJobResult> => {
    const reporter = new ProgressReporter(
      (progress: DownloadJobProgress) => job.updateProgress({ ...progress }),
      intervalMs,
    );
    try {
      // The queue is not trusted more than the producer: the same checks again, then the root's.
      const data = checkRequest(job.data);
      const destination = await prepareDestination(options.root, data.destination);
      const result = await download({
        ...options.download,
        url: withCredentials(parseUrl(data.url), options.credentials),
        destination,
        adapters: options.adapters,
        checksum: data.checksum,
        mirrors: data.mirrors?.map((mirror) => withCredentials(parseUrl(mirror), options.credentials)),
        signal,
        onEvent: (event) => {
          reporter.onEvent(event);
          options.onEvent?.(job, event);
        },
      });
      await reporter.settle();
      return {
        destination: data.destination,
        size: result.size,
        fetchedBytes: result.fetchedBytes,
        resumes: result.resumes,
        restarts: result.restarts,
        isAlreadyComplete: result.isAlreadyComplete,
        checksum: result.checksum,
      };
    } catch (error) {
      await reporter.settle();
      if (signal?.aborted && isRegetError(error) && signal.reason === stopReason) {
        // Back to the queue, not failed, and no attempt spent: the partial waits in the root.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      throw jobFailure(error);
    }
  };
  const worker = new Worker<DownloadJobData, DownloadJobResult>(options.queueName ?? 'reget', processor, {
    ...defaultDownloadWorkerOptions,
    ...options.worker,
    connection: options.connection,
    concurrency: options.concurrency ?? 2,
  });
  return {
    worker,
    async stop() {
      worker.cancelAllJobs(stopReason);
      await worker.close();
    },
  };
}
