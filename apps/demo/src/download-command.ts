import { stat } from 'node:fs/promises';
import {
  type Adapter,
  type DownloadEvent,
  type DownloadOptions,
  DownloadQueue,
  isRegetError,
} from '@reget/core';
import type { DownloadFlags } from './args.js';
import { planDownloads } from './download-plan.js';
import { ExitCode, exitCodeFor, worstExitCode } from './exit-codes.js';
import { Interrupt } from './interrupt.js';
import type { Io } from './io.js';
import type { Job, JobProgress } from './job.js';
import { JsonReporter } from './json-events.js';
import { type BatchOutcome, insecureWarning } from './messages.js';
import { LineReporter } from './plain-progress.js';
import { BarReporter } from './progress-bar.js';
import { chooseOutputMode, type Reporter, type ReporterOutput } from './reporter.js';
import { SecretScrubber } from './secrets.js';

/**
 * `reget [options] <url>...`: plans the run, downloads the files through core's queue (`-j` at
 * once), shows progress, and returns the exit code (the worst of the files', 130 if interrupted).
 */
export async function runDownloadCommand(
  urlArgs: readonly string[],
  flags: DownloadFlags,
  io: Io,
  userAgent: string,
): Promise<number> {
  const scrubber = new SecretScrubber();
  const output: ReporterOutput = {
    stdout: io.stdout,
    stderr: io.stderr,
    scrub: (text) => scrubber.scrub(text),
    isDebug: flags.debug === true,
  };
  const reporter = createReporter(output, flags, io);
  const interrupt = new Interrupt(() => reporter.close());
  interrupt.install();
  let adapters: readonly Adapter[] = [];
  try {
    const plan = await planDownloads(urlArgs, flags, {
      io,
      scrubber,
      signal: interrupt.signal,
      userAgent,
      onHostKeyAdded: (added) => reporter.hostKeyAdded(added),
    });
    adapters = plan.adapters;
    if (flags.insecure && plan.jobs.some((job) => usesTls(job.url))) reporter.warn(insecureWarning);
    const outcomes = await downloadAll(plan.jobs, plan.adapters, flags, reporter, interrupt.signal);
    if (plan.jobs.length > 1) reporter.batchFinished(batchOutcomeOf(outcomes));
    return worstExitCode(outcomes.map((outcome) => outcome.exitCode));
  } catch (error) {
    const code = interrupt.isInterrupted ? ExitCode.INTERRUPTED : exitCodeFor(error);
    reporter.error(error, code);
    return code;
  } finally {
    // The adapters keep idle connections for the next file; the run is over, so the process need
    // not wait for their idle timeouts.
    await Promise.all(adapters.map((adapter) => adapter.close?.().catch(() => undefined)));
    reporter.close();
    interrupt.uninstall();
  }
}

/** The reporter for the output flags (`--json`, `-q`) and whether stderr is a terminal. */
export function createReporter(
  output: ReporterOutput,
  flags: Pick<DownloadFlags, 'json' | 'quiet'>,
  io: Pick<Io, 'stderr' | 'env'>,
): Reporter {
  const mode = chooseOutputMode(
    { isJson: flags.json === true, isQuiet: flags.quiet === true },
    io.stderr,
    io.env,
  );
  switch (mode) {
    case 'json':
      return new JsonReporter(output);
    case 'bars':
      return new BarReporter(output);
    case 'lines':
      return new LineReporter(output, { isQuiet: false });
    case 'quiet':
      return new LineReporter(output, { isQuiet: true });
  }
}

/** How one job ended. */
interface JobOutcome {
  readonly exitCode: number;
  readonly isAlreadyComplete: boolean;
  /** Stopped by Ctrl-C, whether it had started or was still waiting in the queue. */
  readonly isInterrupted: boolean;
}

/** Runs every job through one queue and resolves with how each ended, in job order. */
async function downloadAll(
  jobs: readonly Job[],
  adapters: readonly Adapter[],
  flags: DownloadFlags,
  reporter: Reporter,
  signal: AbortSignal,
): Promise<JobOutcome[]> {
  const queue = new DownloadQueue({ concurrency: flags.jobs });
  const progressByJob = new Map<number, JobProgress>();
  const startedAt = new Map<number, number>();
  const items = jobs.map((job) => {
    const onEvent = (event: DownloadEvent) => {
      if (!startedAt.has(job.index)) startedAt.set(job.index, Date.now());
      if (event.type === 'progress')
        progressByJob.set(job.index, { bytesOnDisk: event.bytesOnDisk, total: event.total });
      if (event.type === 'decision')
        progressByJob.set(job.index, { bytesOnDisk: event.offset, total: event.total });
      reporter.event(job, event);
    };
    return queue.add(downloadOptions(job, adapters, flags, signal, onEvent));
  });
  // No item.cancel() on Ctrl-C: the shared signal aborts every download, and each result settles
  // only after its download has flushed its journal and released its lock, before the process exits.
  return Promise.all(
    jobs.map((job, index) =>
      items[index]!.result.then(
        (result): JobOutcome => {
          reporter.succeeded(job, result, Date.now() - (startedAt.get(job.index) ?? Date.now()));
          return {
            exitCode: ExitCode.SUCCESS,
            isAlreadyComplete: result.isAlreadyComplete,
            isInterrupted: false,
          };
        },
        async (error: unknown): Promise<JobOutcome> => {
          const kept = await keptProgress(job, progressByJob.get(job.index));
          if (signal.aborted && (isRegetError(error, 'ABORTED') || !isRegetError(error))) {
            // Files still waiting in the queue were never touched: nothing to say about them.
            if (startedAt.has(job.index)) reporter.interrupted(job, kept);
            return { exitCode: ExitCode.INTERRUPTED, isAlreadyComplete: false, isInterrupted: true };
          }
          const exitCode = exitCodeFor(error);
          reporter.failed(job, error, exitCode, kept);
          return { exitCode, isAlreadyComplete: false, isInterrupted: false };
        },
      ),
    ),
  );
}

function batchOutcomeOf(outcomes: readonly JobOutcome[]): BatchOutcome {
  const succeeded = outcomes.filter((outcome) => outcome.exitCode === ExitCode.SUCCESS);
  const alreadyComplete = succeeded.filter((outcome) => outcome.isAlreadyComplete).length;
  const interrupted = outcomes.filter((outcome) => outcome.isInterrupted).length;
  return {
    saved: succeeded.length - alreadyComplete,
    alreadyComplete,
    failed: outcomes.length - succeeded.length - interrupted,
    interrupted,
  };
}

/** Whether `url` is fetched over TLS, which is all `--insecure` changes. */
function usesTls(url: URL): boolean {
  return ['https:', 'ftps:', 'ftpes:'].includes(url.protocol);
}

/**
 * What a failed or interrupted job leaves on disk: the last progress core reported, or, when the
 * failure came before any progress event, the size of `<destination>.part` (core's partial file).
 */
async function keptProgress(job: Job, last: JobProgress | undefined): Promise<JobProgress | undefined> {
  if (last && last.bytesOnDisk > 0) return last;
  const partial = await stat(`${job.destination}.part`).catch(() => undefined);
  return partial && partial.size > 0 ? { bytesOnDisk: partial.size, total: last?.total } : undefined;
}

function downloadOptions(
  job: Job,
  adapters: readonly Adapter[],
  flags: DownloadFlags,
  signal: AbortSignal,
  onEvent: (event: DownloadEvent) => void,
): DownloadOptions {
  return {
    url: job.url,
    destination: job.destination,
    adapters,
    signal,
    onEvent,
    retries: flags.retries,
    connectTimeoutMs: flags.timeout,
    idleTimeoutMs: flags.timeout,
    // 0 is "no limit", as for curl and wget.
    limitRateBytesPerSecond: flags.limitRate === 0 ? undefined : flags.limitRate,
    checksum: job.checksum,
    mirrors: job.mirrors,
    pieces: job.pieces,
    followDuplicates: flags.followMirrors === true,
    // --restart ignores the partial; --no-restart refuses to throw one away.
    restart: flags.restart === true,
    allowRestart: flags.restart !== false,
    ifExists: flags.overwrite ? 'overwrite' : flags.continue ? 'continue' : 'error',
    connections: flags.connections,
    maxConnectionsPerHost: flags.maxPerHost,
    durable: flags.sync !== false,
  };
}
