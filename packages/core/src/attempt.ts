import { stat as fileStat } from 'node:fs/promises';
import type { Remote, RemoteStat } from './contract.js';
import { type Decision, decide, type LocalState } from './decide.js';
import { pathKind } from './destination.js';
import { ErrorCode, isRegetError, RegetError } from './errors.js';
import type { RestartReason } from './events.js';
import { currentBoot, readJournal } from './journal.js';
import { crossCheckJunctions } from './junctions.js';
import { type ByteRange, ByteRanges } from './ranges.js';
import type { RateLimiter } from './rate-limit.js';
import { Scheduler } from './scheduler.js';
import type { DownloadSession } from './session.js';
import { isSourceProblem } from './source-problems.js';
import type { Source, SourceSet } from './sources.js';
import { abortable, LowSpeedGuard, Watchdog } from './timeout.js';
import { OverlapMismatch } from './transfer.js';
import { redactUrl } from './url.js';
import { type Prefetched, RestartNeeded, runWorker, type WorkerContext } from './worker.js';

/** Settings that stay the same for every attempt of one download. */
export interface AttemptSettings {
  /** The URL (primary) and its mirrors. */
  readonly sources: SourceSet;
  /** A checksum or piece hashes vouch for the bytes (mirrors need no junction checks). */
  readonly hasHashes: boolean;
  /** Use the places the server announces as duplicates (RFC 6249 Link headers) as mirrors. */
  readonly followDuplicates: boolean;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly overlapBytes: number;
  readonly allowRestart: boolean;
  readonly rateLimiter: RateLimiter | undefined;
  readonly maxRestarts: number;
  readonly lowSpeedLimit: { readonly bytesPerSecond: number; readonly seconds: number } | undefined;
  readonly connections: number;
  /** No connection count was given and mirrors are used: one connection per live source. */
  readonly isConnectionPerSource?: boolean | undefined;
  readonly maxConnectionsPerHost: number;
  readonly minSegmentBytes: number;
}

/** How an attempt ended without an error. */
export type AttemptOutcome = 'complete' | 'progress' | 'restart';

async function readLocal(session: DownloadSession, isMirrored: boolean): Promise<LocalState> {
  const journal = await readJournal(session.paths.journal);
  const partialSize =
    (await pathKind(session.paths.partial)) === 'file'
      ? (await fileStat(session.paths.partial)).size
      : undefined;
  return { journal, partialSize, url: session.url, boot: currentBoot(), isMirrored };
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
  // Any journal that says its bytes lie apart (another URL's too): the file's length past its
  // ranges must never be taken for data, by this run or by the next one reading this run's journal.
  session.isSegmented = local.journal?.isSegmented === true;
  session.total = decision.total;
  const journal = local.journal?.url === session.url ? local.journal : undefined;
  session.validator = journal?.validator ?? stat.validator;
  return decision.mustVerify;
}

/** Sources in all, the URL and mirrors included, that announced duplicates may bring the list to. */
const maxAnnouncedSources = 16;

/** How many connections this attempt may use, and why fewer than asked when so. */
function connectionsFor(session: DownloadSession, settings: AttemptSettings, stat: RemoteStat) {
  const wanted = settings.isConnectionPerSource
    ? Math.min(16, Math.max(1, settings.sources.live().length))
    : settings.connections;
  if (wanted <= 1) return { used: 1, reason: undefined };
  if (session.singleConnectionReason) return { used: 1, reason: session.singleConnectionReason };
  const { sources } = settings;
  const primary = sources.primary;
  if (!sources.isMulti && !primary.adapter.capabilities.segments)
    return { used: 1, reason: `the ${primary.adapter.name} adapter cannot` };
  if (stat.acceptsRanges === false) return { used: 1, reason: 'the server does not serve ranges' };
  if (session.total === undefined) return { used: 1, reason: 'the size is unknown' };
  const most = sources.capacity();
  if (wanted > most) {
    const reason = sources.isMulti
      ? `the sources take at most ${most} connections (at most ${settings.maxConnectionsPerHost} to one host)`
      : `at most ${most} connections to one host by default`;
    return { used: most, reason };
  }
  return { used: wanted, reason: undefined };
}

/**
 * Opens and probes every source still in use, each under its own connect and idle timeout. Returns
 * the answer to decide on: the URL's own, or (when it failed and mirrors answered) the first
 * mirror's without its validator, since the journal's validator is the URL's.
 */
async function probeSources(settings: AttemptSettings, signal: AbortSignal): Promise<RemoteStat> {
  const { sources } = settings;
  const candidates = sources.all.filter((source) => source.dropped === undefined);
  const probeAll = (list: readonly Source[]) =>
    Promise.allSettled(list.map((source) => probeSource(source, settings, signal)));
  const results = await probeAll(candidates);
  // Places the URL's server announced (RFC 6249), when asked to use them: probed like the others.
  const duplicates = sources.primary.stat?.duplicates;
  if (settings.followDuplicates && duplicates && duplicates.length > 0) {
    const added = sources.addAnnounced(duplicates, maxAnnouncedSources);
    candidates.push(...added);
    results.push(...(await probeAll(added)));
  }
  const failures = results.flatMap((result, index) =>
    result.status === 'rejected' ? [{ source: candidates[index]!, error: result.reason as unknown }] : [],
  );
  const answered = candidates.filter((source) => source.stat !== undefined);
  const first = answered[0];
  if (!first) {
    if (failures.length === 0) throw everySourceDropped(sources);
    throw failures[0]!.error;
  }
  if (!sources.isMulti) return first.stat!;
  // A source that will never serve this file (not found, refused login) is dropped while another
  // answered; one that failed for now (a timeout, a reset) is only left out of this attempt.
  for (const { source, error } of failures) {
    if (isRegetError(error) && !error.retryable && isSourceProblem(error)) {
      sources.drop(source, `it did not answer its probe (${error.message})`);
    }
  }
  for (const source of answered) {
    const size = source.stat!.size;
    if (first.stat!.size !== undefined && size !== undefined && size !== first.stat!.size) {
      sources.drop(source, `it has ${size} bytes where ${first.display} has ${first.stat!.size}`);
    }
  }
  const servesRanges = (source: Source) => source.stat!.acceptsRanges !== false;
  if (sources.live().some(servesRanges)) {
    for (const source of sources.live())
      if (!servesRanges(source)) sources.drop(source, 'it does not serve ranges');
  }
  // The answer to decide on comes from a source still in use: the URL's own when it is, else the
  // first mirror's without its validator (the journal's validator is the URL's).
  const decider = sources.live()[0] ?? first;
  return decider.isPrimary ? decider.stat! : { ...decider.stat!, validator: undefined };
}

/**
 * Whether this attempt may start with one request (FAULTS: far servers; issue of per-file set-up):
 * a fresh download (nothing on disk) from one source, on one connection, whose adapter answers a
 * read with what a probe would say. A resume, mirrors or segments still probe first. Returns the
 * state on disk it read, when it read it.
 */
async function canProbeWithRead(
  session: DownloadSession,
  settings: AttemptSettings,
  isRestartRequested: boolean,
): Promise<{ isOneRequest: boolean; local?: LocalState }> {
  const { sources } = settings;
  const no = { isOneRequest: false };
  if (sources.isMulti || settings.followDuplicates || settings.isConnectionPerSource) return no;
  if (settings.connections > 1 || isRestartRequested) return no;
  if (sources.primary.adapter.capabilities.probesWithRead !== true) return no;
  // One source, no other process (the lock): what is on disk now is what the decision will see.
  const local = await readLocal(session, false);
  return { isOneRequest: (local.partialSize ?? 0) === 0, local };
}

/**
 * The one-request start: opens the source and reads from byte 0; the answer's `stat` stands in for
 * the probe, and the answer itself is kept for the connection that fetches from 0. An adapter that
 * gives no `stat` with this answer (a 416 for an empty file) is probed after all.
 */
async function probeWithRead(
  source: Source,
  settings: AttemptSettings,
  signal: AbortSignal,
  prefetched: Prefetched,
): Promise<RemoteStat> {
  await openAndAsk(source, settings, signal, async (remote, probeSignal) => {
    const response = await abortable(
      remote.read({ start: 0, validator: undefined, signal: probeSignal }),
      probeSignal,
    );
    prefetched.response = response;
    return response.stat ?? (await abortable(remote.stat(probeSignal), probeSignal));
  });
  return source.stat!;
}

/** Opens a source and probes it (its `remote`, `stat` and own validator are set). */
function probeSource(source: Source, settings: AttemptSettings, signal: AbortSignal): Promise<void> {
  return openAndAsk(source, settings, signal, (remote, probeSignal) =>
    abortable(remote.stat(probeSignal), probeSignal),
  );
}

/**
 * Opens `source` and asks it what it is (`ask`), under the connect and then the idle timeout; on
 * failure the remote is closed again. The signal given to `ask` lives as long as the attempt.
 */
async function openAndAsk(
  source: Source,
  settings: AttemptSettings,
  signal: AbortSignal,
  ask: (remote: Remote, probeSignal: AbortSignal) => Promise<RemoteStat>,
): Promise<void> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  const watchdog = new Watchdog(settings.connectTimeoutMs + settings.idleTimeoutMs, controller, source.host);
  try {
    const context = { signal: controller.signal, connectTimeoutMs: settings.connectTimeoutMs };
    const remote = await abortable(source.adapter.open(source.url, context), controller.signal);
    source.remote = remote;
    watchdog.touch(settings.idleTimeoutMs);
    const stat = await ask(remote, controller.signal);
    source.stat = stat;
    source.validator = stat.validator;
  } catch (error) {
    await source.remote?.close().catch(() => undefined);
    source.remote = undefined;
    throw error;
  } finally {
    watchdog.stop();
  }
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
  const { sources } = settings;
  sources.beginAttempt(settings.maxConnectionsPerHost, settings.isConnectionPerSource ? 1 : Infinity);
  let lowSpeed: LowSpeedGuard | undefined;
  const prefetched: Prefetched = { response: undefined };
  try {
    const { isOneRequest, local: readBefore } = await canProbeWithRead(session, settings, isRestartRequested);
    const stat = isOneRequest
      ? await probeWithRead(sources.primary, settings, attemptSignal, prefetched)
      : await probeSources(settings, attemptSignal);
    session.hasReachedServer = true;
    session.modifiedAt = stat.modifiedAt;
    const url = redactUrl(stat.url);
    session.emit({ type: 'probe', url, total: stat.size, acceptsRanges: stat.acceptsRanges });
    if (sources.isMulti) session.emit({ type: 'sources', used: sources.live().map((s) => s.display) });
    session.publishedDigests = stat.digests;
    // Read once per attempt: the look taken to choose the one-request start serves the decision.
    const local = readBefore ?? (await readLocal(session, sources.isMulti));
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
    // With mirrors, no validator vouches for bytes another source may have written: verify.
    const mustVerify =
      apply(session, decision, stat, local) || (sources.isMulti && decision.action === 'resume');
    // Bytes from several sources and no hash to vouch for them: they must agree where they meet.
    const mustCrossCheck = sources.isMulti && !settings.hasHashes;
    const crossCheck = (context: WorkerContext) =>
      crossCheckJunctions(context, settings.overlapBytes, attemptSignal).then((isAgreed) =>
        isAgreed ? ('complete' as const) : ('progress' as const),
      );
    if (decision.action === 'resume') session.resumes += 1;
    const pieces = session.pieces;
    if (pieces) {
      pieces.setTotal(session.total);
      // What the journal claimed passed before it was claimed; other whole pieces are checked now.
      if (local.journal?.url === session.url && decision.action !== 'fresh')
        pieces.adopt(local.journal.ranges);
      pieces.checkAll(session.ranges);
    }

    const { used, reason } = connectionsFor(session, settings, stat);
    if ((settings.connections > 1 || settings.isConnectionPerSource) && decision.action !== 'complete')
      session.emit({ type: 'segments', requested: Math.max(settings.connections, used), used, reason });
    const gaps = session.ranges.missing(session.total);
    // A complete file that must still be verified: re-read the tail once.
    const plan = gaps.length > 0 ? gaps : [[session.total ?? 0, session.total ?? 0] as const];
    const scheduler = new Scheduler(
      decision.action === 'complete' ? [] : plan,
      used,
      settings.minSegmentBytes,
    );
    lowSpeed = settings.lowSpeedLimit && new LowSpeedGuard(settings.lowSpeedLimit, controller);
    const workerContext: WorkerContext = {
      session,
      sources,
      stat,
      prefetched,
      scheduler,
      mustVerify,
      overlapBytes: settings.overlapBytes,
      idleTimeoutMs: settings.idleTimeoutMs,
      rateLimiter: settings.rateLimiter,
      lowSpeed,
      isSegmented: used > 1,
    };
    session.pieceFailureHandler = (range) => pieceFailed(workerContext, range);
    const isWhole = () => session.total !== undefined && session.ranges.covers(0, session.total);
    if (decision.action === 'complete') {
      await pieces?.settle();
      // A piece that failed now goes back to be fetched by the next attempt.
      if (!isWhole()) return 'progress';
      // A retried check of where sources met (the bytes were all on disk already).
      const hasServed = sources.all.some((source) => source.served.size > 0);
      return mustCrossCheck && hasServed ? await crossCheck(workerContext) : 'complete';
    }
    const failures = await runWorkers(workerContext, used, controller);
    await pieces?.settle();
    if (pieces && isWhole() && !pieces.isComplete) {
      // A piece rewritten while it was being checked: checked again now, from disk.
      pieces.checkAll(session.ranges);
      await pieces.settle();
    }
    const isComplete = isWhole() && (!pieces || pieces.isComplete);
    if (isComplete) return mustCrossCheck ? await crossCheck(workerContext) : 'complete';
    const failure = failures.find((error) => error !== undefined);
    if (failure) throw failure;
    if (sources.isMulti && sources.live().length === 0) throw everySourceDropped(sources);
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
    // A first answer no connection took (the attempt ended before): its body is released.
    prefetched.response?.body[Symbol.asyncIterator]()
      .return?.()
      ?.catch(() => undefined);
    session.pieceFailureHandler = undefined;
    lowSpeed?.stop();
    signal.removeEventListener('abort', onAbort);
    await Promise.all(sources.all.map((source) => source.remote?.close().catch(() => undefined)));
  }
}

/**
 * A piece failed its hash: the source that wrote it in this call is dropped, and the piece is
 * fetched again (by a connection of this attempt that is still reading, or the next attempt).
 */
async function pieceFailed(context: WorkerContext, [start, end]: ByteRange): Promise<void> {
  const piece = new ByteRanges([[start, end]]);
  const culprits = context.sources.all.filter((source) => source.served.intersection(piece).size > 0);
  // Several sources met inside the piece: which one is wrong is not known, so none is dropped; the
  // piece is fetched again whole, by one connection, and a source that fails it alone is dropped.
  const [culprit] = culprits;
  if (culprits.length === 1 && culprit) {
    culprit.pieceFailures += 1;
    const isLast = !context.sources.live().some((other) => other !== culprit);
    if (!isLast) {
      context.sources.drop(culprit, `bytes ${start}-${end - 1} it served failed their piece hash`);
    } else if (culprit.pieceFailures >= maxPieceFailures) {
      // No other source to fetch it from, and this one keeps serving bytes the hashes refuse.
      throw new RegetError(
        ErrorCode.CHECKSUM,
        `${culprit.display} served bytes that failed their piece hash ${culprit.pieceFailures} times (the last at bytes ${start}-${end - 1}); no other source is left.`,
        { retryable: false },
      );
    }
  }
  for (const source of culprits) source.served.remove(start, end);
  await context.session.rollback(start, end);
  context.scheduler.requeue(start, end);
}

/** Piece hash failures of the last source left before the download fails. */
const maxPieceFailures = 3;

/** No source is left to fetch the missing bytes from. */
function everySourceDropped(sources: SourceSet): RegetError {
  const why = sources.all.map((source) => `${source.display}: ${source.dropped ?? 'no answer'}`).join('; ');
  return new RegetError(ErrorCode.NETWORK, `Every source was dropped (${why}).`, { retryable: false });
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
