import { stat as fileStat } from 'node:fs/promises';
import type { Adapter, ReadRequest, ReadResponse, Remote, RemoteStat } from './contract.js';
import { type Decision, decide, type LocalState } from './decide.js';
import { pathKind } from './destination.js';
import { ErrorCode, isRegetError, RegetError } from './errors.js';
import type { RestartReason } from './events.js';
import { readJournal } from './journal.js';
import type { RateLimiter } from './rate-limit.js';
import type { DownloadSession } from './session.js';
import { abortable, LowSpeedGuard, Watchdog } from './timeout.js';
import { OverlapMismatch, pump } from './transfer.js';

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
}

/** How an attempt ended without an error. */
export type AttemptOutcome = 'complete' | 'progress' | 'restart';

/** Raised inside an attempt when the bytes on disk must go; turned into a restart or an error. */
class RestartNeeded extends Error {
  constructor(readonly reason: RestartReason) {
    super(reason);
  }
}

async function readLocal(session: DownloadSession): Promise<LocalState> {
  const journal = await readJournal(session.paths.journal);
  const partialSize =
    (await pathKind(session.paths.partial)) === 'file'
      ? (await fileStat(session.paths.partial)).size
      : undefined;
  return { journal, partialSize, url: session.url };
}

/** Applies a decision to the session; returns whether the bytes on disk must be verified. */
async function apply(
  session: DownloadSession,
  decision: Decision,
  stat: RemoteStat,
  local: LocalState,
): Promise<boolean> {
  if (decision.action === 'restart') throw new RestartNeeded(decision.reason);
  session.ranges.clear();
  if (decision.action === 'fresh') {
    session.adopt(stat.size, stat.validator);
    return false;
  }
  for (const [start, end] of decision.ranges) session.ranges.add(start, end);
  const journal = local.journal;
  session.total = decision.total;
  session.validator = journal?.url === session.url ? (journal.validator ?? stat.validator) : stat.validator;
  return decision.mustVerify;
}

/** The first gap to fetch and the request that fetches it, with its verification window. */
function planRead(session: DownloadSession, mustVerify: boolean, overlapBytes: number, signal: AbortSignal) {
  const gap = session.ranges.missing(session.total)[0];
  const gapStart = gap?.[0] ?? session.total ?? session.ranges.end;
  const gapEnd = gap?.[1];
  const coveredFrom = session.ranges.rangeStartAt(gapStart) ?? gapStart;
  const start = mustVerify ? Math.max(coveredFrom, gapStart - overlapBytes) : gapStart;
  // An interior gap (segments) ends where the next range starts; the last one runs to the end.
  const end =
    gapEnd !== undefined && Number.isFinite(gapEnd) && gapEnd !== session.total ? gapEnd : undefined;
  const strong = session.validator?.isStrong ? session.validator : undefined;
  const request: ReadRequest = { start, end, validator: strong, signal };
  return { request, writeFrom: gapStart };
}

/** Checks an answer against the request and the bytes on disk (FAULTS HTTP-01..07, CHG-03, CHG-05). */
function check(session: DownloadSession, request: ReadRequest, response: ReadResponse, writeFrom: number) {
  const hasBytes = session.ranges.size > 0;
  if (response.validator && session.validator && response.validator.value !== session.validator.value) {
    if (hasBytes) throw new RestartNeeded('remote changed');
    session.adopt(response.total ?? session.total, response.validator);
  }
  if (response.total !== undefined && session.total !== undefined && response.total !== session.total) {
    if (hasBytes)
      throw new RestartNeeded(
        response.total < session.ranges.end ? 'local larger than remote' : 'remote changed',
      );
    session.adopt(response.total, response.validator ?? session.validator);
  }
  session.total ??= response.total;
  session.validator ??= response.validator;
  if (response.start > request.start) {
    throw new RegetError(
      ErrorCode.PROTOCOL,
      `Asked for bytes from ${request.start} but the server sent from ${response.start}.`,
    );
  }
  if (response.start < request.start) {
    if (response.start === 0 && hasBytes) throw new RestartNeeded('server ignored range');
    if (!session.ranges.covers(response.start, writeFrom)) {
      throw new RegetError(
        ErrorCode.PROTOCOL,
        `Asked for bytes from ${request.start} but the server sent from ${response.start}.`,
      );
    }
  }
}

/**
 * One attempt: open the remote, probe it, decide, fetch the first missing range, and close. Only
 * what is missing is fetched, plus the verification overlap when no strong validator vouches for
 * the bytes on disk.
 */
export async function runAttempt(
  session: DownloadSession,
  settings: AttemptSettings,
  signal: AbortSignal,
  isRestartRequested: boolean,
): Promise<AttemptOutcome> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  const attemptSignal = controller.signal;
  const watchdog = new Watchdog(
    settings.idleTimeoutMs + settings.connectTimeoutMs,
    controller,
    settings.url.host,
  );
  let remote: Remote | undefined;
  let lowSpeed: LowSpeedGuard | undefined;
  try {
    remote = await abortable(
      settings.adapter.open(settings.url, {
        signal: attemptSignal,
        connectTimeoutMs: settings.connectTimeoutMs,
      }),
      attemptSignal,
    );
    watchdog.touch(settings.idleTimeoutMs);
    const stat = await abortable(remote.stat(attemptSignal), attemptSignal);
    watchdog.touch();
    session.emit({ type: 'probe', url: stat.url, total: stat.size, acceptsRanges: stat.acceptsRanges });
    const local = await readLocal(session);
    const decision = decide(stat, local, isRestartRequested);
    const offset =
      decision.action === 'resume' || decision.action === 'complete' ? (decision.ranges.at(-1)?.[1] ?? 0) : 0;
    session.emit({
      type: 'decision',
      action: decision.action,
      offset,
      total: decision.total,
      reason: decision.reason,
    });
    const mustVerify = await apply(session, decision, stat, local);
    if (decision.action === 'complete') return 'complete';
    if (decision.action === 'resume') session.resumes += 1;

    const { request, writeFrom } = planRead(session, mustVerify, settings.overlapBytes, attemptSignal);
    const response = await abortable(remote.read(request), attemptSignal).catch((error: unknown) => {
      // FTP's refused REST: the server can only send from zero, which is a restart, not a failure.
      if (request.start > 0 && isRegetError(error, ErrorCode.RANGE_NOT_SUPPORTED)) {
        throw new RestartNeeded('ranges not supported');
      }
      throw error;
    });
    watchdog.touch();
    if (response.isUnsatisfiable) return unsatisfiable(session, request, response, stat);
    check(session, request, response, writeFrom);
    session.connections = 1;
    lowSpeed = settings.lowSpeedLimit && new LowSpeedGuard(settings.lowSpeedLimit, controller);
    const result = await pump(session, response, {
      lowSpeed,
      writeFrom,
      stopAt: request.end,
      signal: attemptSignal,
      watchdog,
      rateLimiter: settings.rateLimiter,
    });
    if (result.isServerEnd && session.total === undefined && request.end === undefined)
      session.total = result.end;
    return session.total !== undefined && session.ranges.covers(0, session.total) ? 'complete' : 'progress';
  } catch (error) {
    const reason =
      error instanceof RestartNeeded
        ? error.reason
        : error instanceof OverlapMismatch
          ? 'remote changed'
          : undefined;
    if (!reason) throw error;
    if (!settings.allowRestart && reason !== 'restart requested') throw refusal(reason);
    if (session.restarts >= settings.maxRestarts) {
      throw new RegetError(
        ErrorCode.REMOTE_CHANGED,
        `Gave up after ${session.restarts} restarts: the remote keeps changing (${reason}).`,
      );
    }
    await session.discard(reason, undefined, undefined);
    return 'restart';
  } finally {
    session.connections = 0;
    watchdog.stop();
    lowSpeed?.stop();
    signal.removeEventListener('abort', onAbort);
    await remote?.close().catch(() => undefined);
  }
}

/** The error for a restart the caller refused; the partial stays as it is. */
function refusal(reason: RestartReason): RegetError {
  if (reason === 'server ignored range' || reason === 'ranges not supported') {
    return new RegetError(
      ErrorCode.RANGE_NOT_SUPPORTED,
      'The server does not resume from an offset, and restarting was refused.',
    );
  }
  return new RegetError(
    ErrorCode.REMOTE_CHANGED,
    `The remote changed (${reason}), and restarting was refused.`,
  );
}

/** An answer saying the requested start is at or past the end of the file (HTTP 416). */
function unsatisfiable(
  session: DownloadSession,
  request: ReadRequest,
  response: ReadResponse,
  stat: RemoteStat,
): AttemptOutcome {
  const total = response.total ?? stat.size;
  if (total === undefined) {
    throw new RegetError(
      ErrorCode.PROTOCOL,
      'The server refused the range without saying how large the file is.',
      { retryable: true },
    );
  }
  if (total === request.start && session.ranges.covers(0, total)) {
    session.total = total;
    return 'complete';
  }
  throw new RestartNeeded(total < session.ranges.end ? 'local larger than remote' : 'remote changed');
}
