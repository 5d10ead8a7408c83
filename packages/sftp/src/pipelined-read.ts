import { ErrorCode, RegetError } from '@reget/core';
import { untilAborted } from './abort.js';
import type { SftpSession } from './session.js';

/** One transfer: which bytes of an open handle to deliver, and how. */
export interface PipelinedRead {
  readonly session: SftpSession;
  readonly handle: Buffer;
  readonly start: number;
  /** Exclusive end of the bytes to deliver, or undefined to read until end of file. */
  readonly end: number | undefined;
  /** The size stat reported: end of file before it means the file shrank while being read. */
  readonly size: number | undefined;
  readonly requestBytes: number;
  readonly requestsInFlight: number;
  readonly signal: AbortSignal;
  readonly displayUrl: string;
  /** Turns a failed READ into the error to throw (PARTIAL, ABORTED…). */
  classify(error: unknown): RegetError;
  /** Called once: `isReusable` when the session has nothing pending and may serve another read. */
  finish(isReusable: boolean): void;
}

/**
 * Window beyond the READs in flight: top-ups wait for 1 MiB of used window (session.ts), and half
 * a MiB more covers SFTP headers and a short read's re-request.
 */
const receiveWindowMarginBytes = 1536 * 1024;

interface PendingRead {
  readonly offset: number;
  readonly length: number;
  readonly data: Promise<Buffer>;
}

/**
 * Delivers bytes `[start, end)` in order while keeping several READ requests in flight
 * (draft-ietf-secsh-filexfer-02 §6.4). A short read is answered by requesting the rest of that span
 * again from the exact next offset, ahead of the later requests already in flight; only SSH_FX_EOF
 * ends the file (FAULTS SFTP-06). End of file before the stat size is PARTIAL (SFTP-07). Memory
 * stays at `requestsInFlight × requestBytes` whatever the file size (twice that for a moment when
 * a reader stopped early and the channel's next read starts before the abandoned replies arrive).
 */
export async function* pipelinedRead(plan: PipelinedRead): AsyncGenerator<Uint8Array> {
  const { session, handle, signal } = plan;
  const limit = plan.end ?? Number.POSITIVE_INFINITY;
  const queue: PendingRead[] = [];
  let nextOffset = plan.start;
  let position = plan.start;
  let isReusable = false;
  let isFailed = false;

  const request = (offset: number, length: number): PendingRead => {
    const data = session.read(handle, offset, length);
    // Requests still in flight when the transfer fails are abandoned; their rejections are expected.
    data.catch(() => undefined);
    return { offset, length, data };
  };
  const fill = () => {
    while (queue.length < plan.requestsInFlight && nextOffset < limit) {
      const length = Math.min(plan.requestBytes, limit - nextOffset);
      queue.push(request(nextOffset, length));
      nextOffset += length;
    }
  };

  try {
    // Every READ in flight may be answered at once: the channel window must not be what limits them.
    session.widenReceiveWindow(plan.requestsInFlight * plan.requestBytes + receiveWindowMarginBytes);
    fill();
    while (position < limit) {
      const head = queue.shift();
      if (head === undefined) break;
      let data: Buffer;
      try {
        data = await untilAborted(head.data, signal, () => session.end());
      } catch (error) {
        throw plan.classify(error);
      }
      if (data.length === 0) {
        if (plan.size !== undefined && position < plan.size) {
          throw new RegetError(
            ErrorCode.PARTIAL,
            `${plan.displayUrl} shrank while being read: end of file at byte ${position} of ${plan.size}.`,
          );
        }
        break;
      }
      if (data.length < head.length) {
        queue.unshift(request(head.offset + data.length, head.length - data.length));
      }
      position += data.length;
      fill();
      yield data;
    }
    // Reading to end of file leaves requests past it in flight; they answer EOF at once.
    await Promise.allSettled(queue.map((pending) => pending.data));
    queue.length = 0;
    isReusable = !session.isClosed;
    if (isReusable) session.closeHandle(handle).catch(() => undefined);
  } catch (error) {
    isFailed = true;
    throw error;
  } finally {
    // The reader stopped early (core gave the rest of the range to another connection): replies
    // still in flight (data, or an error should the server close the handle first) are matched to
    // their requests by id and dropped. Keeping the channel saves opening another: round trips,
    // and a new sftp-server process on OpenSSH.
    if (!isReusable && !isFailed && !signal.aborted && !session.isClosed) {
      session.closeHandle(handle).catch(() => undefined);
      isReusable = true;
    }
    // Aborted or failed: the channel may be in any state, so drop it.
    if (!isReusable) session.end();
    plan.finish(isReusable);
  }
}
