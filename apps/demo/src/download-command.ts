import { stat } from 'node:fs/promises';
import {
  type Adapter,
  type DownloadEvent,
  type DownloadOptions,
  DownloadQueue,
  isRegetError,
  RegetError,
} from '@reget/core';
import type { DownloadFlags } from './args.js';
import { type DownloadPlan, planDownloads } from './download-plan.js';
import { ExitCode, exitCodeFor, worstExitCode } from './exit-codes.js';
import { Interrupt } from './interrupt.js';
import type { Io } from './io.js';
import type { Job, JobProgress } from './job.js';
import { JsonReporter } from './json-events.js';
import { insecureWarning } from './messages.js';
import { LineReporter } from './plain-progress.js';
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
  const reporter = await createReporter(output, flags, io);
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
    const tally = await downloadAll(plan, flags, reporter, interrupt.signal);
    if (tally.count > 1) reporter.batchFinished(tally.outcome);
    return tally.exitCode;
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

/**
 * The reporter for the output flags (`--json`, `-q`) and whether stderr is a terminal. The bars'
 * library is loaded only when bars are drawn: a run with `-q`, `--json` or a pipe never pays for it.
 */
export async function createReporter(
  output: ReporterOutput,
  flags: Pick<DownloadFlags, 'json' | 'quiet'>,
  io: Pick<Io, 'stderr' | 'env'>,
): Promise<Reporter> {
  const mode = chooseOutputMode(
    { isJson: flags.json === true, isQuiet: flags.quiet === true },
    io.stderr,
    io.env,
  );
  switch (mode) {
    case 'json':
      return new JsonReporter(output);
    case 'bars': {
      const { BarReporter } = await import('./progress-bar.js');
      return new BarReporter(output);
    }
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

/** How the jobs of a run ended, counted (a long list is not kept job by job). */
interface Tally {
  count: number;
  exitCode: number;
  readonly outcome: { saved: number; alreadyComplete: number; failed: number; interrupted: number };
}

/**
 * Runs every job through one queue, the planned ones first, then the input file's later lines as
 * they are read: no more are planned than can start soon (twice `-j`), so memory stays flat however
 * long the list is, and the first download starts before the list is read to its end.
 */
async function downloadAll(
  plan: DownloadPlan,
  flags: DownloadFlags,
  reporter: Reporter,
  signal: AbortSignal,
): Promise<Tally> {
  const queue = new DownloadQueue({ concurrency: flags.jobs });
  const tally: Tally = {
    count: 0,
    exitCode: ExitCode.SUCCESS,
    outcome: { saved: 0, alreadyComplete: 0, failed: 0, interrupted: 0 },
  };
  const count = (outcome: JobOutcome) => {
    tally.exitCode = worstExitCode([tally.exitCode, outcome.exitCode]);
    if (outcome.isInterrupted) tally.outcome.interrupted += 1;
    else if (outcome.exitCode !== ExitCode.SUCCESS) tally.outcome.failed += 1;
    else if (outcome.isAlreadyComplete) tally.outcome.alreadyComplete += 1;
    else tally.outcome.saved += 1;
  };
  const unsettled = new Set<Promise<void>>();
  const maxUnsettled = Math.max(1, flags.jobs ?? 4) * 2;
  let hasWarnedInsecure = plan.jobs.some((job) => usesTls(job.url));
  const run = async (entry: Job | RegetError) => {
    tally.count += 1;
    if (entry instanceof RegetError) {
      // A later line of the input file that cannot be downloaded: it fails alone.
      const exitCode = exitCodeFor(entry);
      reporter.error(entry, exitCode);
      return count({ exitCode, isAlreadyComplete: false, isInterrupted: false });
    }
    if (flags.insecure && !hasWarnedInsecure && usesTls(entry.url)) {
      hasWarnedInsecure = true;
      reporter.warn(insecureWarning);
    }
    const settled = downloadOne(entry, queue, plan.adapters, flags, reporter, signal).then(count);
    unsettled.add(settled);
    void settled.finally(() => unsettled.delete(settled));
    while (unsettled.size >= maxUnsettled) await Promise.race(unsettled);
  };
  try {
    for (const job of plan.jobs) await run(job);
    for await (const entry of plan.laterJobs) {
      // Ctrl-C: what is not read yet is left alone.
      if (signal.aborted) break;
      await run(entry);
    }
  } catch (error) {
    // The list could not be read to its end: the downloads already under way still finish.
    const exitCode = exitCodeFor(error);
    reporter.error(error, exitCode);
    count({ exitCode, isAlreadyComplete: false, isInterrupted: false });
  }
  await Promise.all(unsettled);
  return tally;
}

/** Downloads one job through the queue, reports how it ended, and says so. */
async function downloadOne(
  job: Job,
  queue: DownloadQueue,
  adapters: readonly Adapter[],
  flags: DownloadFlags,
  reporter: Reporter,
  signal: AbortSignal,
): Promise<JobOutcome> {
  let startedAt: number | undefined;
  let progress: JobProgress | undefined;
  const onEvent = (event: DownloadEvent) => {
    startedAt ??= Date.now();
    if (event.type === 'progress') progress = { bytesOnDisk: event.bytesOnDisk, total: event.total };
    if (event.type === 'decision') progress = { bytesOnDisk: event.offset, total: event.total };
    reporter.event(job, event);
  };
  // No item.cancel() on Ctrl-C: the shared signal aborts every download, and each result settles
  // only after its download has flushed its journal and released its lock, before the process exits.
  const item = queue.add(downloadOptions(job, adapters, flags, signal, onEvent));
  try {
    const result = await item.result;
    reporter.succeeded(job, result, Date.now() - (startedAt ?? Date.now()));
    return { exitCode: ExitCode.SUCCESS, isAlreadyComplete: result.isAlreadyComplete, isInterrupted: false };
  } catch (error) {
    const kept = await keptProgress(job, progress);
    if (signal.aborted && (isRegetError(error, 'ABORTED') || !isRegetError(error))) {
      // Files still waiting in the queue were never touched: nothing to say about them.
      if (startedAt !== undefined) reporter.interrupted(job, kept);
      return { exitCode: ExitCode.INTERRUPTED, isAlreadyComplete: false, isInterrupted: true };
    }
    const exitCode = exitCodeFor(error);
    reporter.failed(job, error, exitCode, kept);
    return { exitCode, isAlreadyComplete: false, isInterrupted: false };
  }
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
