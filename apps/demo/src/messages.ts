import { type DownloadEvent, type DownloadResult, ErrorCode, escapeControl, RegetError } from '@reget/core';

/** Replaces control characters (ANSI escapes from a server, newlines) with visible escapes. */
export { escapeControl };

import { remedyFor, rewordedCause } from './failure-hints.js';
import { count, formatBytes, formatDuration, formatRate } from './human-units.js';
import type { Job, JobProgress } from './job.js';

/**
 * The sentences the command prints for people. Reporters decide where a line goes (above the bars,
 * on its own line, nowhere); the words live here so every mode says the same thing.
 */

type EventOf<T extends DownloadEvent['type']> = Extract<DownloadEvent, { type: T }>;

const restartReasons: Record<EventOf<'restart'>['reason'], string> = {
  'remote changed': 'the remote file changed since the partial was fetched',
  'server ignored range': 'the server ignored the range and sent the whole file',
  'local larger than remote': 'the partial is larger than the remote file',
  'ranges not supported': 'the server refused, or could not be trusted, to start at an offset',
  'restart requested': '--restart was given',
  'unflushed before a reboot': 'the partial was written with --no-sync and the machine restarted since',
};

/**
 * Error codes after which the partial on disk is worth keeping and the same command resumes. Not
 * LOCKED: the other reget is using that partial, and running again now would only be refused again.
 */
const resumableCodes = new Set<string>([ErrorCode.NETWORK, ErrorCode.TIMEOUT, ErrorCode.PARTIAL]);

/** `40.0 MiB of 100 MiB`, or `40.0 MiB` when the total is unknown. */
export function describeAmount(bytes: number, total: number | undefined): string {
  return total === undefined ? formatBytes(bytes) : `${formatBytes(bytes)} of ${formatBytes(total)}`;
}

/** A line for a decision worth telling (resume, restart, already complete), or undefined for a fresh start. */
export function describeDecision(job: Job, event: EventOf<'decision'>): string | undefined {
  switch (event.action) {
    case 'resume':
      return `${job.label}: resuming at ${describeAmount(event.offset, event.total)} (${event.reason}).`;
    case 'complete':
      return `${job.label}: all ${describeAmount(event.offset, undefined)} already on disk, verifying.`;
    case 'restart':
      return undefined;
    case 'fresh':
      return undefined;
  }
}

/** A line for a fresh start, for the plain (non-terminal) output. */
export function describeStart(job: Job, event: EventOf<'decision'>): string {
  const size = event.total === undefined ? 'size unknown' : formatBytes(event.total);
  return `${job.label}: downloading ${job.displayUrl} (${size}).`;
}

/** A line when a download uses fewer connections than asked for, saying why; undefined otherwise. */
export function describeSegments(job: Job, event: EventOf<'segments'>): string | undefined {
  if (event.used >= event.requested) return undefined;
  const used = event.used === 1 ? 'one connection' : `${event.used} connections`;
  const reason = event.reason ?? 'the server cannot serve more';
  // Core's cap is the library's maxConnectionsPerHost, which this command sets with --max-per-host.
  const hint = /connections to one host/.test(reason) ? ' (--max-per-host raises it)' : '';
  return `${job.label}: using ${used}, not ${event.requested}: ${reason}${hint}.`;
}

/** A line saying the bytes on disk were discarded, and why. */
export function describeRestart(job: Job, event: EventOf<'restart'>): string {
  const discarded = event.discardedBytes > 0 ? `, discarding ${formatBytes(event.discardedBytes)}` : '';
  return `${job.label}: starting again from zero: ${restartReasons[event.reason]}${discarded}.`;
}

/**
 * A line saying an attempt failed and when the next one starts. A cut transfer is told by where the
 * file stands (the retry event's `bytesOnDisk`), in human units, rather than by the byte counts of
 * the one response the adapter saw.
 */
export function describeRetry(job: Job, event: EventOf<'retry'>): string {
  const seconds = (event.delayMs / 1000).toFixed(1);
  const cause =
    event.error.code === ErrorCode.PARTIAL
      ? `the connection ended at ${describeAmount(event.bytesOnDisk, event.total)}`
      : withoutFinalStop(event.error.message);
  return `${job.label}: ${cause}; retrying in ${seconds} s (attempt ${event.attempt + 1}).`;
}

/** A line naming the sources a download with mirrors uses. */
export function describeSources(job: Job, event: EventOf<'sources'>): string {
  return `${job.label}: from ${event.used.length} sources: ${event.used.join(', ')}.`;
}

/** A line saying a mirror is no longer used, and why. */
export function describeSourceDropped(job: Job, event: EventOf<'source-dropped'>): string {
  return `${job.label}: no longer using ${event.url}: ${withoutFinalStop(event.reason)}.`;
}

/** A line saying the disk holds the download up (never a network problem). */
export function describeDiskStall(job: Job, event: EventOf<'disk-stall'>): string {
  const seconds = Math.round(event.waitedMs / 1000);
  return `${job.label}: a ${event.operation} of the partial file has taken ${seconds} s; waiting for the disk (the server is not the cause).`;
}

/** A progress line for output that is not a terminal. */
export function describeProgress(job: Job, event: EventOf<'progress'>): string {
  const percent =
    event.total === undefined || event.total === 0
      ? ''
      : ` ${Math.floor((event.bytesOnDisk / event.total) * 100)}%,`;
  const live = event.sources?.filter((source) => source.dropped === undefined).length;
  const from = live === undefined ? '' : ` from ${live} source${live === 1 ? '' : 's'},`;
  return `${job.label}:${percent} ${describeAmount(event.bytesOnDisk, event.total)},${from} ${formatRate(event.bytesPerSecond)}, ETA ${formatDuration(event.etaSeconds)}.`;
}

/** The summary line of a finished file. */
export function describeSuccess(job: Job, result: DownloadResult, elapsedMs: number): string {
  if (result.isAlreadyComplete) {
    const verified = result.checksum === undefined ? '' : `, ${algorithmOf(result.checksum)} verified`;
    return `${job.label}: already complete (${formatBytes(result.size)}${verified}).`;
  }
  const seconds = Math.max(elapsedMs, 1) / 1000;
  const elapsed = seconds < 10 ? `${seconds.toFixed(1)}s` : formatDuration(seconds);
  const parts = [`${formatBytes(result.size)} in ${elapsed} (${formatRate(result.fetchedBytes / seconds)})`];
  if (result.fetchedBytes !== result.size) parts.push(`fetched ${formatBytes(result.fetchedBytes)}`);
  if (result.resumes > 0) parts.push(`resumed ${count(result.resumes, 'time')}`);
  if (result.restarts > 0) parts.push(`restarted ${count(result.restarts, 'time')}`);
  if (result.checksum !== undefined) parts.push(`${algorithmOf(result.checksum)} verified`);
  return `${job.label}: saved, ${parts.join(', ')}.`;
}

/**
 * The one line printed for a failed file: its name, the cause, what to do about it when the command
 * knows (failure-hints.ts), and whether running again resumes. Errors reget did not classify show
 * their message only; `--debug` adds the stack.
 */
export function describeFailure(job: Job | undefined, error: unknown, progress?: JobProgress): string {
  let cause: string;
  if (error instanceof RegetError) {
    cause = rewordedCause(job, error) ?? error.message;
    const remedy = remedyFor(job, error);
    if (remedy !== undefined) cause = `${withoutFinalStop(cause)}; ${remedy}`;
  } else {
    cause = `unexpected error: ${messageOf(error)}`;
  }
  const isWorthResuming =
    (progress?.bytesOnDisk ?? 0) > 0 && error instanceof RegetError && resumableCodes.has(error.code);
  const hint = isWorthResuming
    ? ` ${describeAmount(progress?.bytesOnDisk ?? 0, progress?.total)} kept; run the same command again to resume.`
    : '';
  const prefix = job ? `reget: ${job.label}: ` : 'reget: ';
  return escapeControl(`${prefix}${withFinalStop(cause)}${hint}`);
}

/** The line printed for a file that was downloading when the run was interrupted. */
export function describeInterrupted(job: Job, progress: JobProgress | undefined): string {
  const amount = progress ? ` at ${describeAmount(progress.bytesOnDisk, progress.total)}` : '';
  return `reget: ${job.label}: interrupted${amount}; the partial is kept, run the same command again to resume.`;
}

/** What a batch of several URLs came to, for the closing line. */
export interface BatchOutcome {
  readonly saved: number;
  readonly alreadyComplete: number;
  readonly failed: number;
  readonly interrupted: number;
}

/** `reget: 3 saved, 1 already complete, 1 failed.`: the closing line of a run over several URLs. */
export function describeBatch(outcome: BatchOutcome): string {
  const parts = [`${outcome.saved} saved`];
  if (outcome.alreadyComplete > 0) parts.push(`${outcome.alreadyComplete} already complete`);
  if (outcome.failed > 0) parts.push(`${outcome.failed} failed`);
  if (outcome.interrupted > 0) parts.push(`${outcome.interrupted} interrupted`);
  return `reget: ${parts.join(', ')}.`;
}

/** The line OpenSSH would print after `accept-new` recorded a host key. */
export function describeHostKeyAdded(added: {
  readonly host: string;
  readonly keyType: string;
  readonly fingerprint: string;
  readonly file: string;
}): string {
  return `reget: permanently added the SSH host key of ${added.host} (${added.keyType} ${added.fingerprint}) to ${added.file}.`;
}

/** The warning `--insecure` prints (FAULTS SEC-05). */
export const insecureWarning =
  'reget: warning: --insecure turns off TLS certificate checks; anyone on the path can read or alter these downloads.';

function algorithmOf(checksum: string): string {
  return checksum.split(':')[0] ?? checksum;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function withFinalStop(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function withoutFinalStop(text: string): string {
  return text.replace(/\.$/, '');
}
