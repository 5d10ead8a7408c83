import type { ReadResponse } from './contract.js';
import { ErrorCode, isRegetError, RegetError } from './errors.js';
import type { RateLimiter } from './rate-limit.js';
import type { DownloadSession } from './session.js';
import { abortable, type LowSpeedGuard, type Watchdog } from './timeout.js';
import { WriteBuffer } from './write-buffer.js';

/** Raised when bytes re-read from the remote differ from the bytes on disk. */
export class OverlapMismatch extends Error {
  readonly offset: number;
  constructor(offset: number) {
    super(`The remote differs from the partial at offset ${offset}.`);
    this.offset = offset;
  }
}

/** How one response's bytes are to be handled. */
export interface PumpPlan {
  /** Bytes before this offset are already on disk: compare them, never write them. */
  readonly writeFrom: number;
  /** Where to stop (successfully) even if the server sends more; it may shrink while bytes flow. */
  readonly stopAt: () => number | undefined;
  /** Told the offset after each write, as soon as the write is under way. */
  readonly onAdvance: (position: number) => void;
  readonly signal: AbortSignal;
  readonly watchdog: Watchdog;
  readonly rateLimiter: RateLimiter | undefined;
  readonly lowSpeed: LowSpeedGuard | undefined;
}

/** Where a response's bytes ended. */
export interface PumpResult {
  /** Offset after the last byte received. */
  readonly end: number;
  /** Whether the body ended because the server finished (not because `stopAt` was reached). */
  readonly isServerEnd: boolean;
}

/**
 * Waits for a body that delivered every byte it declared to end, so that a failure the adapter
 * raises at its end is heard. Whether it ended: bytes past the end are left unread (FAULTS NET-05).
 */
async function finish(iterator: AsyncIterator<Uint8Array>, signal: AbortSignal): Promise<boolean> {
  for (;;) {
    const next = await abortable(iterator.next(), signal);
    if (next.done) return true;
    if (next.value.length > 0) return false;
  }
}

function isSame(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Streams one response into the partial: bytes below `writeFrom` are compared with the disk (the
 * verification overlap), the rest are written at their own offsets. Never writes past the declared
 * span or the known total (FAULTS NET-05): extra bytes roll back what this response wrote.
 */
export async function pump(
  session: DownloadSession,
  response: ReadResponse,
  plan: PumpPlan,
): Promise<PumpResult> {
  const limit = Math.min(response.end ?? Infinity, session.total ?? Infinity);
  const firstWrite = Math.max(plan.writeFrom, response.start);
  let position = response.start;
  const iterator = response.body[Symbol.asyncIterator]();
  let isServerEnd = false;
  const buffer = new WriteBuffer(session);
  // reget's own waits (the disk, the rate limit) count neither as the server's silence nor its slowness.
  const held = <T>(work: Promise<T>): Promise<T> =>
    plan.watchdog.hold(plan.lowSpeed ? plan.lowSpeed.hold(work) : work);
  // An adapter that finds the answer unusable mid-body (FTP's ignored REST) voids what it delivered.
  const voidIfUnusable = async (error: unknown) => {
    if (isRegetError(error, ErrorCode.PROTOCOL) || isRegetError(error, ErrorCode.RANGE_NOT_SUPPORTED)) {
      await held(buffer.drain().then(() => session.rollback(firstWrite, position)));
    }
    throw error;
  };
  try {
    for (;;) {
      const next = await abortable(iterator.next(), plan.signal).catch(voidIfUnusable);
      if (next.done) {
        isServerEnd = true;
        break;
      }
      plan.watchdog.touch();
      let chunk = next.value;
      session.received(chunk.length);
      plan.lowSpeed?.received(chunk.length);
      const stopAt = plan.stopAt();
      if (stopAt !== undefined && position + chunk.length > stopAt) {
        chunk = chunk.subarray(0, Math.max(0, stopAt - position));
      }
      if (position + chunk.length > limit) {
        await held(buffer.drain().then(() => session.rollback(firstWrite, position)));
        throw new RegetError(
          ErrorCode.PROTOCOL,
          `The server sent more bytes than it declared (past offset ${limit}).`,
        );
      }
      if (position < plan.writeFrom) {
        const count = Math.min(chunk.length, plan.writeFrom - position);
        const onDisk = await held(session.readAt(position, count));
        if (!isSame(onDisk, chunk.subarray(0, count))) throw new OverlapMismatch(position);
        chunk = chunk.subarray(count);
        position += count;
      }
      if (position >= plan.writeFrom) session.verifiedUpTo(plan.writeFrom);
      // The comparison above waited for the disk: another connection may have taken the rest of
      // this range meanwhile, so the end is read again before anything is written.
      const stopNow = plan.stopAt();
      if (stopNow !== undefined && position + chunk.length > stopNow) {
        chunk = chunk.subarray(0, Math.max(0, stopNow - position));
      }
      if (chunk.length > 0) {
        // Told before the write is awaited: a connection taking over the rest of this range must
        // start past the bytes already on their way to the disk.
        plan.onAdvance(position + chunk.length);
        await held(buffer.push(position, chunk));
        position += chunk.length;
        if (plan.rateLimiter) await held(plan.rateLimiter.take(chunk.length, plan.signal));
      }
      const end = plan.stopAt();
      if (end !== undefined && position >= end) {
        // At the response's own end, wait for the body's end too, so the adapter's last word is
        // heard: FTP counts bytes up to its 226 reply, where too many means REST was ignored.
        if (end >= limit) isServerEnd = await finish(iterator, plan.signal).catch(voidIfUnusable);
        break;
      }
    }
    await held(buffer.drain());
    // Reading may finish before the writes do; an abort that came meanwhile still wins.
    if (plan.signal.aborted) throw plan.signal.reason;
  } catch (error) {
    // Every byte received before a failure is kept (FAULTS NET-01); the first error is the one reported.
    await held(buffer.drain()).catch(() => undefined);
    throw error;
  } finally {
    if (!isServerEnd) iterator.return?.()?.catch(() => undefined);
  }
  if (isServerEnd && response.end !== undefined && position < response.end) {
    throw new RegetError(ErrorCode.PARTIAL, `The transfer ended at offset ${position} of ${response.end}.`);
  }
  return { end: position, isServerEnd };
}
