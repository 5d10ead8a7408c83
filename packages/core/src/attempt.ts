import { stat as fileStat } from 'node:fs/promises';
import type { Adapter, Remote, RemoteStat } from './contract.js';
import { type Decision, decide, type LocalState } from './decide.js';
import { pathKind } from './destination.js';
import { ErrorCode, isRegetError, RegetError } from './errors.js';
import type { RestartReason } from './events.js';
import { currentBoot, readJournal } from './journal.js';
import type { RateLimiter } from './rate-limit.js';
import { Scheduler } from './scheduler.js';
import type { DownloadSession } from './session.js';
import { abortable, LowSpeedGuard, Watchdog } from './timeout.js';
import { OverlapMismatch } from './transfer.js';
import { redactUrl } from './url.js';
import { RestartNeeded, runWorker, type WorkerContext } from './worker.js';

/** Settings that stay the same for every attempt of one download. */
export interface AttemptSettings {
  readonly adapter: Adapter;
  readonly url: URL;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly overlapBytes: number;
  readonly allowRestart: boolean;
  readonly rateLimiter: RateLimiter | undefined;
  readonly maxRestarts: number;
  readonly lowSpeedLimit: { readonly bytesPerSecond: number; readonly seconds: number } | undefined;
  readonly connections: number;
  readonly maxConnectionsPerHost: number;
  readonly minSegmentBytes: number;
}

/** How an attempt ended without an error. */
export type AttemptOutcome = 'complete' | 'progress' | 'restart';

async function readLocal(session: DownloadSession): Promise<LocalState> {
  const journal = await readJournal(session.paths.journal);
  const partialSize =
    (await pathKind(session.paths.partial)) === 'file'
      ? (await fileStat(session.paths.partial)).size
      : undefined;
  return { journal, partialSize, url: session.url, boot: currentBoot() };
}

/** Applies a decision to the session; returns whether the bytes on disk must be verified. */
function apply(session: DownloadSession, decision: Decision, stat: RemoteStat, local: LocalState): boolean {
  if (decision.action === 'restart') throw new RestartNeeded(decision.reason);
  session.ranges.clear();
  if (decision.action === 'fresh') {
    session.adopt(stat.size, stat.validator);
    return false;
  }
  for (const [start, end] of decision.ranges) session.ranges.add(start, end);
  session.unverified = decision.action === 'resume' ? decision.unverified : undefined;
  session.isSegmented = local.journal?.url === session.url && local.journal.isSegmented === true;
  session.total = decision.total;
  const journal = local.journal?.url === session.url ? local.journal : undefined;
  session.validator = journal?.validator ?? stat.validator;
  return decision.mustVerify;
}

/** How many connections this attempt may use, and why fewer than asked when so. */
function connectionsFor(session: DownloadSession, settings: AttemptSettings, stat: RemoteStat) {
  if (settings.connections <= 1) return { used: 1, reason: undefined };
  if (session.singleConnectionReason) return { used: 1, reason: session.singleConnectionReason };
  if (!settings.adapter.capabilities.segments)
    return { used: 1, reason: `the ${settings.adapter.name} adapter cannot` };
  if (stat.acceptsRanges === false) return { used: 1, reason: 'the server does not serve ranges' };
  if (session.total === undefined) return { used: 1, reason: 'the size is unknown' };
  const most = settings.maxConnectionsPerHost;
  if (settings.connections > most)
    return { used: most, reason: `at most ${most} connections to one host by default` };
  return { used: settings.connections, reason: undefined };
}

/**
 * One attempt: open the remote, probe it, decide, and fetch every missing range with one or more
 * connections (one code path: a single connection is the plan with one range), then close. Only
 * what is missing is fetched, plus the verification overlap when no strong validator vouches for
 * the bytes on disk.
 */
export async function runAttempt(
  session: DownloadSession,
  settings: AttemptSettings,
  signal: AbortSignal,
  isRestartRequested: boolean,
): Promise<AttemptOutcome> {
  session.beginAttempt();
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  const attemptSignal = controller.signal;
  const host = settings.url.host;
  const watchdog = new Watchdog(settings.connectTimeoutMs + settings.idleTimeoutMs, controller, host);
  let remote: Remote | undefined;
  let lowSpeed: LowSpeedGuard | undefined;
  try {
    const context = { signal: attemptSignal, connectTimeoutMs: settings.connectTimeoutMs };
    remote = await abortable(settings.adapter.open(settings.url, context), attemptSignal);
    watchdog.touch(settings.idleTimeoutMs);
    const stat = await abortable(remote.stat(attemptSignal), attemptSignal);
    watchdog.stop();
    session.hasReachedServer = true;
    session.modifiedAt = stat.modifiedAt;
    const url = redactUrl(stat.url);
    session.emit({ type: 'probe', url, total: stat.size, acceptsRanges: stat.acceptsRanges });
    const local = await readLocal(session);
    const decision = decide(stat, local, isRestartRequested);
    // Bytes on disk, not the end of the furthest range: segments leave holes.
    const offset =
      decision.action === 'resume' || decision.action === 'complete'
        ? decision.ranges.reduce((sum, [start, end]) => sum + end - start, 0)
        : 0;
    session.emit({
      type: 'decision',
      action: decision.action,
      offset,
      total: decision.total,
      reason: decision.reason,
    });
    const mustVerify = apply(session, decision, stat, local);
    if (decision.action === 'complete') return 'complete';
    if (decision.action === 'resume') session.resumes += 1;

    const { used, reason } = connectionsFor(session, settings, stat);
    if (settings.connections > 1)
      session.emit({ type: 'segments', requested: settings.connections, used, reason });
    const gaps = session.ranges.missing(session.total);
    // A complete file that must still be verified: re-read the tail once.
    const plan = gaps.length > 0 ? gaps : [[session.total ?? 0, session.total ?? 0] as const];
    const scheduler = new Scheduler(plan, used, settings.minSegmentBytes);
    lowSpeed = settings.lowSpeedLimit && new LowSpeedGuard(settings.lowSpeedLimit, controller);
    const workerContext: WorkerContext = {
      session,
      remote,
      stat,
      scheduler,
      mustVerify,
      overlapBytes: settings.overlapBytes,
      idleTimeoutMs: settings.idleTimeoutMs,
      host,
      rateLimiter: settings.rateLimiter,
      lowSpeed,
      isSegmented: used > 1,
    };
    const failures = await runWorkers(workerContext, used, controller);
    const isComplete = session.total !== undefined && session.ranges.covers(0, session.total);
    if (isComplete) return 'complete';
    const failure = failures.find((error) => error !== undefined);
    if (failure) throw failure;
    return 'progress';
  } catch (error) {
    const reason = restartReason(error);
    if (!reason) {
      // An unusable answer on one connection casts doubt on what the others wrote in this attempt.
      if (isRegetError(error, ErrorCode.PROTOCOL)) await session.voidAttempt();
      throw error;
    }
    if (!settings.allowRestart && reason !== 'restart requested') {
      await session.voidAttempt();
      throw refusal(reason);
    }
    if (session.restarts >= settings.maxRestarts) {
      await session.voidAttempt();
      throw new RegetError(
        ErrorCode.REMOTE_CHANGED,
        `Gave up after ${session.restarts} restarts: the remote keeps changing (${reason}).`,
      );
    }
    await session.discard(reason);
    return 'restart';
  } finally {
    watchdog.stop();
    lowSpeed?.stop();
    signal.removeEventListener('abort', onAbort);
    await remote?.close().catch(() => undefined);
  }
}

/** Runs the connections; the first one that must stop everything aborts the others. */
async function runWorkers(context: WorkerContext, count: number, controller: AbortController) {
  const workers = Array.from({ length: count }, () =>
    runWorker(context, controller.signal).catch((error: unknown) => {
      if (!controller.signal.aborted) controller.abort(error);
      throw error;
    }),
  );
  const settled = await Promise.allSettled(workers);
  // Prefer the error that stopped the attempt over the aborts it caused in the other connections.
  const reason: unknown = controller.signal.reason;
  if (controller.signal.aborted) throw reason;
  return settled.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
}

function restartReason(error: unknown): RestartReason | undefined {
  if (error instanceof RestartNeeded) return error.reason;
  if (error instanceof OverlapMismatch) return 'remote changed';
  return undefined;
}

/** The error for a restart the caller refused; the partial stays as it is. */
function refusal(reason: RestartReason): RegetError {
  if (reason === 'server ignored range' || reason === 'ranges not supported') {
    return new RegetError(
      ErrorCode.RANGE_NOT_SUPPORTED,
      'The server does not resume from an offset, and restarting was refused.',
    );
  }
  const what =
    reason === 'local larger than remote'
      ? 'The partial is larger than the remote file'
      : reason === 'unflushed before a reboot'
        ? 'The partial was never flushed to the device (durable: false) and the machine restarted since'
        : 'The remote file changed since the partial was fetched';
  return new RegetError(ErrorCode.REMOTE_CHANGED, `${what}, and restarting was refused.`);
}
