import type { ReadRequest, ReadResponse, Remote, RemoteStat } from './contract.js';
import { ErrorCode, isRegetError, RegetError } from './errors.js';
import type { RestartReason } from './events.js';
import { overlapStart } from './overlap.js';
import type { RateLimiter } from './rate-limit.js';
import type { Assignment, Scheduler } from './scheduler.js';
import type { DownloadSession } from './session.js';
import { isSourceProblem } from './source-problems.js';
import { DroppedSource, maxSourceFailures, type Source, type SourceSet } from './sources.js';
import { abortable, type LowSpeedGuard, sleep, Watchdog } from './timeout.js';
import { OverlapMismatch, pump } from './transfer.js';

/** Raised when the bytes on disk must go; the attempt turns it into a restart or an error. */
export class RestartNeeded extends Error {
  constructor(readonly reason: RestartReason) {
    super(reason);
  }
}

/**
 * A mirror proved unusable for this download (another size or version, ranges ignored, bytes that
 * contradict the others): it is dropped, not the download restarted.
 */
export class SourceFault extends Error {
  /** Whether what the source wrote in this call is suspect and must be fetched again. */
  readonly isDataSuspect: boolean;
  constructor(reason: string, isDataSuspect: boolean) {
    super(reason);
    this.isDataSuspect = isDataSuspect;
  }
}

/** The answer the one-request start already has, until the connection reading from 0 takes it. */
export interface Prefetched {
  response: ReadResponse | undefined;
}

/** What every connection of one attempt shares. */
export interface WorkerContext {
  /** The first answer of a one-request start, if any (see attempt.ts, probeWithRead). */
  readonly prefetched?: Prefetched | undefined;
  readonly session: DownloadSession;
  /** Where the bytes come from: the URL, and mirrors when given. */
  readonly sources: SourceSet;
  /** The probe answer this attempt decided on. */
  readonly stat: RemoteStat;
  readonly scheduler: Scheduler;
  readonly mustVerify: boolean;
  readonly overlapBytes: number;
  readonly idleTimeoutMs: number;
  readonly rateLimiter: RateLimiter | undefined;
  readonly lowSpeed: LowSpeedGuard | undefined;
  /** Several connections: another may take over the end of any range, so every read names its end. */
  readonly isSegmented: boolean;
}

/** Checks an answer against the request and the bytes on disk (FAULTS HTTP-01..07, CHG-03, CHG-05). */
function check(
  session: DownloadSession,
  request: ReadRequest,
  response: ReadResponse,
  writeFrom: number,
  source: Source,
  isMulti: boolean,
): void {
  if (isMulti && !source.isPrimary) {
    checkMirror(session, request, response, writeFrom, source);
    return;
  }
  const hasBytes = session.ranges.size > 0;
  // Once one answer of this attempt was accepted, other connections may be writing its version:
  // a different one is a change, never something to adopt (bytes in a write buffer are not in ranges yet).
  const isPinned = hasBytes || session.hasAcceptedAnswer;
  if (response.validator && session.validator && response.validator.value !== session.validator.value) {
    if (isPinned) throw new RestartNeeded('remote changed');
    session.adopt(response.total ?? session.total, response.validator);
  }
  if (response.total !== undefined && session.total !== undefined && response.total !== session.total) {
    if (isPinned) {
      throw new RestartNeeded(
        response.total < session.ranges.end ? 'local larger than remote' : 'remote changed',
      );
    }
    session.adopt(response.total, response.validator ?? session.validator);
  }
  session.total ??= response.total;
  session.validator ??= response.validator;
  const mismatch = `Asked for bytes from ${request.start} but the server sent from ${response.start}.`;
  if (response.start > request.start) throw new RegetError(ErrorCode.PROTOCOL, mismatch);
  if (response.start < request.start) {
    if (response.start === 0) {
      // The whole file where a range was asked: from now on this download uses one connection.
      session.singleConnectionReason = 'the server answered a range with the whole file';
      throw new RestartNeeded('server ignored range');
    }
    if (!session.ranges.covers(response.start, writeFrom)) throw new RegetError(ErrorCode.PROTOCOL, mismatch);
  }
  session.hasAcceptedAnswer = true;
}

/**
 * A mirror's answer: its own validator guards it (mirrors rarely share an ETag), and the size must
 * be the download's. Anything else is the mirror's fault, never a reason to restart the download.
 */
function checkMirror(
  session: DownloadSession,
  request: ReadRequest,
  response: ReadResponse,
  writeFrom: number,
  source: Source,
): void {
  if (response.validator && source.validator && response.validator.value !== source.validator.value) {
    throw new SourceFault('it changed during the download', false);
  }
  if (response.total !== undefined && session.total !== undefined && response.total !== session.total) {
    throw new SourceFault(`it now has ${response.total} bytes, not ${session.total}`, false);
  }
  if (response.start !== request.start) {
    // Start before the request is fine only over bytes on disk (they are compared, not written).
    if (response.start > request.start || !session.ranges.covers(response.start, writeFrom)) {
      throw new SourceFault(
        response.start === 0 ? 'it does not serve ranges' : 'it answered another range than asked',
        false,
      );
    }
  }
}

/**
 * An answer saying the requested start is at or past the end of the file (HTTP 416). One that does
 * not say how large the file is (FAULTS HTTP-03 c) is ambiguous: the size is asked again, since the
 * probe before the read may be out of date, rather than taking the file for changed or complete.
 */
async function unsatisfiable(
  context: WorkerContext,
  source: Source,
  request: ReadRequest,
  response: ReadResponse,
  signal: AbortSignal,
): Promise<void> {
  const { session } = context;
  if (context.sources.isMulti && !source.isPrimary) {
    throw new SourceFault('it refused a range inside the file', false);
  }
  let total = response.total;
  let isReprobed = false;
  if (total === undefined) {
    const fresh = await abortable(source.remote!.stat(signal), signal);
    const validator = session.validator;
    if (fresh.validator && validator && fresh.validator.value !== validator.value) {
      throw new RestartNeeded('remote changed');
    }
    total = fresh.size;
    isReprobed = true;
  }
  if (total === undefined && session.total === undefined && request.start === session.ranges.end) {
    // Size never declared, and the server says nothing lies past the bytes we hold (HTTP-12): that is
    // the end of the file — provided they are one contiguous run from 0.
    if (session.ranges.covers(0, request.start)) {
      session.total = request.start;
      return;
    }
  }
  if (total === undefined) {
    throw new RegetError(
      ErrorCode.PROTOCOL,
      'The server refused the range without saying how large the file is.',
      {
        retryable: true,
      },
    );
  }
  // Bytes on disk past the end the server names: never cut to fit, the partial is another file's.
  if (total < session.ranges.end) throw new RestartNeeded('local larger than remote');
  if (total === request.start && session.ranges.covers(0, total)) {
    session.total = total;
    return;
  }
  // The same file (its size unchanged, and no other validator), larger than the start it refused.
  const isSameValidator =
    response.validator === undefined || response.validator.value === session.validator?.value;
  const isSameFile = isReprobed
    ? session.total === undefined || total === session.total
    : total === session.total && isSameValidator;
  if (total > request.start && isSameFile) {
    // The server does not serve ranges properly: not a change, whatever the probe said before.
    session.singleConnectionReason = 'the server refused a range inside the file';
    throw new RestartNeeded('ranges not supported');
  }
  throw new RestartNeeded('remote changed');
}

/**
 * FTP's refused or ignored REST (RANGE_NOT_SUPPORTED from `read` or mid-body): the server can only
 * send from zero, which is a restart with one connection, not a failure. Anything else is rethrown.
 */
function rangeFailure(session: DownloadSession, start: number, error: unknown): never {
  if (start > 0 && isRegetError(error, ErrorCode.RANGE_NOT_SUPPORTED)) {
    session.singleConnectionReason = "the server's answer to a range could not be used";
    throw new RestartNeeded('ranges not supported');
  }
  throw error;
}

/** The prefetched answer when it answers exactly this request (from 0, to the end), else a new read. */
function readOrTake(context: WorkerContext, remote: Remote, request: ReadRequest): Promise<ReadResponse> {
  const holder = context.prefetched;
  const prefetched = holder?.response;
  if (holder && prefetched) {
    holder.response = undefined;
    if (request.start === 0 && request.end === undefined) return Promise.resolve(prefetched);
    prefetched.body[Symbol.asyncIterator]()
      .return?.()
      ?.catch(() => undefined);
  }
  return remote.read(request);
}

/**
 * Fetches one assignment until its (possibly shrinking) end: one read, or several when the server
 * sends honest short slices. Bytes before the assignment that must be verified are re-read first.
 */
async function fetchAssignment(
  context: WorkerContext,
  source: Source,
  assignment: Assignment,
  signal: AbortSignal,
  watchdog: Watchdog,
) {
  const { session } = context;
  const remote = source.remote!;
  // The overlap is checked once per assignment: a short answer that ends inside the window goes on
  // from where it stopped, and later slices follow bytes this very attempt checked and wrote.
  let isChecked = !context.mustVerify;
  let checkedUpTo: number | undefined;
  for (;;) {
    const from = assignment.position;
    // Another source took over all that was left of this range (it is much faster): stop here.
    if (assignment.isTakenOver && assignment.end <= from) return;
    const coveredFrom = session.ranges.rangeStartAt(from) ?? from;
    // The overlap: the window before `from`, moved back while its bytes cannot tell versions apart.
    const start = isChecked
      ? from
      : (checkedUpTo ??
        (await watchdog.hold(
          overlapStart((at, length) => session.readAt(at, length), from, coveredFrom, context.overlapBytes),
        )));
    // One connection reads to the end of the file, where the adapter can count bytes (FTP's ignored
    // REST, FAULTS FTP-05). With several, any read may be cut short when another connection takes
    // over the end of its range: each names its end, so the adapter checks it as a part (FTP: its
    // first bytes against the file's head), never trusting a count it may not reach.
    const isToEnd =
      !Number.isFinite(assignment.end) || (assignment.end === session.total && !context.isSegmented);
    // The adapter decides whether the validator may become a precondition (If-Range); core checks the answer.
    const request: ReadRequest = {
      start,
      end: isToEnd ? undefined : assignment.end,
      validator: session.validator,
      signal,
    };
    const onRangeFailure = (error: unknown) => rangeFailure(session, start, error);
    const response = await abortable(readOrTake(context, remote, request), signal).catch(onRangeFailure);
    watchdog.touch();
    if (response.isUnsatisfiable) {
      await unsatisfiable(context, source, request, response, signal);
      watchdog.touch();
      assignment.position = assignment.end;
      return;
    }
    check(session, request, response, from, source, context.sources.isMulti);
    let lastTick = performance.now();
    const result = await pump(session, response, {
      writeFrom: from,
      // A source dropped meanwhile (a piece it served failed): stop at the next chunk.
      stopAt: () =>
        source.dropped !== undefined
          ? assignment.position
          : Number.isFinite(assignment.end)
            ? assignment.end
            : undefined,
      onAdvance: (position) => {
        if (position > assignment.position) {
          const written = Math.max(from, assignment.position);
          if (position > written) {
            source.served.add(written, position);
            source.bytes += position - written;
          }
          assignment.position = position;
        }
        const now = performance.now();
        source.connectionMs += now - lastTick;
        lastTick = now;
      },
      signal,
      watchdog,
      rateLimiter: context.rateLimiter,
      lowSpeed: context.lowSpeed,
    }).catch(onRangeFailure);
    if (source.dropped !== undefined) throw new SourceFault(source.dropped, false);
    checkedUpTo = result.end;
    isChecked ||= result.end >= from;
    // Unknown size, and an answer that declared no end of its own (a 200, an FTP RETR, SFTP to EOF):
    // the protocol said the body is complete, so this is the end of the file. A 206 slice (`a-b/*`)
    // is not (FAULTS HTTP-07): keep asking from where it stopped. Never an end before bytes we hold.
    const isEndOfFile = result.isServerEnd && response.end === undefined && !Number.isFinite(assignment.end);
    if (isEndOfFile && session.total === undefined && result.end >= session.ranges.end) {
      session.total = result.end;
      assignment.end = result.end;
    }
    if (session.total !== undefined) assignment.end = Math.min(assignment.end, session.total);
    if (assignment.position >= assignment.end && isChecked) return;
    if (assignment.isTakenOver && assignment.end <= result.end) return;
    if (result.end <= start) {
      throw new RegetError(
        ErrorCode.PARTIAL,
        `The server ended the transfer at offset ${start} without new bytes.`,
      );
    }
  }
}

/**
 * One connection: takes ranges from the scheduler until none is left. A retryable failure ends
 * this connection and returns its unfetched bytes to the pool for the others; anything else
 * (a restart, a protocol error, an abort) is thrown to stop the whole attempt. With mirrors, the
 * connection moves to another source after a failure, and a source at fault is dropped.
 */
export async function runWorker(
  context: WorkerContext,
  attemptSignal: AbortSignal,
): Promise<RegetError | undefined> {
  const { sources } = context;
  let failure: RegetError | undefined;
  let avoid: Source | undefined;
  for (;;) {
    // With mirrors, a source is chosen for every range: the least busy, so one that failed is
    // tried again by the next connection free, until it fetches a range or is dropped.
    const source = sources.acquire(avoid);
    if (!source) return failure;
    let outcome: RegetError | 'done' | 'idle';
    try {
      outcome = await readFrom(context, source, attemptSignal);
    } catch (error) {
      if (attemptSignal.aborted) throw error;
      if (!sources.isMulti) throw asAttemptError(error);
      const handled = await handleSourceError(context, source, error);
      if (!handled) throw asAttemptError(error);
      outcome = 'done';
    } finally {
      sources.release(source);
    }
    if (outcome === 'idle') {
      // No work left; but a source dropped while waiting leaves the connection to another one.
      if (source.dropped === undefined) return undefined;
      continue;
    }
    if (outcome === 'done') {
      failure = undefined;
      avoid = undefined;
      continue;
    }
    failure = outcome;
    if (!sources.isMulti) return failure;
    source.failures += 1;
    // The last source left is never dropped for failures that may pass: that is the retry budget's.
    const isLast = !sources.live().some((other) => other !== source);
    if (source.failures >= maxSourceFailures && !isLast) {
      sources.drop(source, `it failed ${source.failures} times in a row (${failure.message})`);
    }
    // Another live source takes over; with none, the attempt ends and is retried.
    if (source.dropped === undefined && !sources.live().some((other) => other !== source)) return failure;
    avoid = source;
  }
}

/** An error leaving a worker as what the attempt understands: never a mirror's own signal. */
function asAttemptError(error: unknown): unknown {
  if (error instanceof SourceFault || error instanceof DroppedSource) {
    return new RegetError(ErrorCode.PROTOCOL, error.message, { cause: error });
  }
  return error;
}

/**
 * With mirrors, an error one connection raised: when it shows a source at fault, that source is
 * dropped (its suspect bytes fetched again) and true is returned; otherwise false (the attempt
 * handles it). When the bytes a source contradicts were written in this call by another source,
 * the earlier listed of the two wins (the URL first), rather than the file being taken for changed.
 */
async function handleSourceError(context: WorkerContext, source: Source, error: unknown): Promise<boolean> {
  if (error instanceof DroppedSource) return true;
  if (error instanceof OverlapMismatch) {
    const writer = context.sources.all.find(
      (other) => other !== source && other.served.covers(error.offset, error.offset + 1),
    );
    if (writer) {
      const loser = writer.index > source.index ? writer : source;
      const winner = loser === writer ? source : writer;
      await dropSource(
        context,
        loser,
        new SourceFault(`its bytes disagree with ${winner.display}'s near offset ${error.offset}`, true),
        loser === source ? 1 : 0,
      );
      return true;
    }
  }
  const fault = sourceFault(source, error);
  if (!fault) return false;
  await dropSource(context, source, fault, 1);
  return true;
}

/** What makes a mirror unusable, from an error its connection raised; undefined when not its fault. */
function sourceFault(source: Source, error: unknown): SourceFault | undefined {
  if (error instanceof SourceFault) return error;
  if (error instanceof OverlapMismatch) {
    // The primary decides what the file is: bytes of an earlier run it contradicts mean a change.
    if (source.isPrimary) return undefined;
    return new SourceFault(`its bytes differ from the others at offset ${error.offset}`, true);
  }
  if (isRegetError(error, ErrorCode.PROTOCOL) || isRegetError(error, ErrorCode.RANGE_NOT_SUPPORTED)) {
    return new SourceFault(`its answer could not be used (${error.message})`, true);
  }
  if (!source.isPrimary && error instanceof RestartNeeded) {
    return new SourceFault(`it ${error.reason === 'remote changed' ? 'changed' : error.reason}`, false);
  }
  // Not the local disk (LOCAL_IO) nor an abort: only what says the server cannot serve the file.
  if (!source.isPrimary && isRegetError(error) && !error.retryable && isSourceProblem(error)) {
    return new SourceFault(error.message, false);
  }
  return undefined;
}

/**
 * Drops a source; bytes it wrote in this call go back to be fetched from the others when suspect
 * — once its other connections have stopped and drained what they received (`allowance`: the
 * caller's own connection to it, when it holds one), so none of its writes lands after the
 * rollback.
 */
export async function dropSource(
  context: WorkerContext,
  source: Source,
  fault: SourceFault,
  allowance = 0,
): Promise<void> {
  context.sources.drop(source, fault.message);
  if (!fault.isDataSuspect) return;
  await context.sources.settled(source, allowance);
  for (const [start, end] of source.served.toArray()) {
    await context.session.rollback(start, end);
    context.scheduler.requeue(start, end);
  }
  source.served.clear();
}

/**
 * How long an idle connection to a mirror waits before asking again for work while others are
 * still fetching: their rates may show by then that it should take over, or a piece that failed
 * its hash may come back to be fetched.
 */
const idleRecheckMs = 100;

/** The next range for this connection; with mirrors, waits while other connections may free work. */
async function nextAssignment(
  context: WorkerContext,
  source: Source,
  signal: AbortSignal,
  watchdog: Watchdog,
): Promise<Assignment | undefined> {
  const { scheduler, sources } = context;
  if (!sources.isMulti) return scheduler.next();
  for (;;) {
    const assignment = scheduler.next(source);
    if (assignment?.takenFrom) dropIfTrickling(sources, assignment.takenFrom, source);
    if (assignment || !scheduler.isBusy || source.dropped !== undefined) return assignment;
    // Waiting for work is not the server's silence.
    await watchdog.hold(sleep(idleRecheckMs, signal));
  }
}

/** A source this much slower per connection than the one taking over its range is dropped. */
const trickleRatio = 8;

/** Drops `slow` when it trickles far below `fast`, which just took over its range. */
function dropIfTrickling(sources: SourceSet, slow: Source, fast: Source): void {
  const slowRate = slow.rate;
  const fastRate = fast.rate;
  if (slowRate === undefined || fastRate === undefined || slowRate * trickleRatio >= fastRate) return;
  const kib = (rate: number) => `${Math.round(rate / 1024)} KiB/s`;
  sources.drop(
    slow,
    `it trickles at ${kib(slowRate)} per connection where ${fast.display} gives ${kib(fastRate)}`,
  );
}

/**
 * Reads from one source: every range the scheduler has (one source), or one range (mirrors, so
 * that the next is given to the least busy source). 'idle' when no work was left.
 */
async function readFrom(
  context: WorkerContext,
  source: Source,
  attemptSignal: AbortSignal,
): Promise<RegetError | 'done' | 'idle'> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(attemptSignal.reason);
  attemptSignal.addEventListener('abort', onAbort, { once: true });
  if (attemptSignal.aborted) onAbort();
  const watchdog = new Watchdog(context.idleTimeoutMs, controller, source.host);
  context.session.connections += 1;
  // Dropping the source aborts this connection at once (see SourceSet.drop).
  source.readers.add(controller);
  try {
    for (;;) {
      if (source.dropped !== undefined) return 'idle';
      const assignment = await nextAssignment(context, source, controller.signal, watchdog);
      if (!assignment) return 'idle';
      try {
        await fetchAssignment(context, source, assignment, controller.signal, watchdog);
        context.scheduler.done(assignment);
        // Failures count in a row: a range fetched to its end clears them.
        source.failures = 0;
        if (context.sources.isMulti) return 'done';
      } catch (error) {
        context.scheduler.release(assignment);
        if (error instanceof RestartNeeded || error instanceof OverlapMismatch || attemptSignal.aborted)
          throw error;
        const failure =
          controller.signal.aborted && isRegetError(controller.signal.reason)
            ? controller.signal.reason
            : error;
        if (isRegetError(failure) && failure.retryable) return failure;
        throw failure;
      }
    }
  } finally {
    source.readers.delete(controller);
    context.session.connections -= 1;
    watchdog.stop();
    attemptSignal.removeEventListener('abort', onAbort);
  }
}
