import type { IncomingMessage } from 'node:http';
import { ErrorCode, RegetError } from '@reget/core';
import { abortError } from './failure.js';

/** What a response promised about its body. */
export interface BodyFraming {
  /** Bytes the response declared (Content-Length, or the Content-Range span); undefined if unknown. */
  readonly expected: number | undefined;
  readonly host: string;
  readonly signal: AbortSignal;
}

function partial(received: number, expected: number | undefined, host: string, cause?: unknown): RegetError {
  const of = expected === undefined ? '' : ` of ${expected}`;
  return new RegetError(ErrorCode.PARTIAL, `The transfer from ${host} ended after ${received}${of} bytes.`, {
    cause,
  });
}

/**
 * Streams a response body chunk by chunk, straight through (no buffering), and ends normally only
 * when the framing says the body is complete: the declared length reached, a chunked body's last
 * chunk, or a clean close when nothing was declared (FAULTS HTTP-12, NET-01). An early end is
 * PARTIAL; a byte past the declared length is PROTOCOL and is never yielded (NET-05). Aborting
 * `signal` or leaving the loop early destroys the connection at once.
 */
export async function* framedBody(
  response: IncomingMessage,
  framing: BodyFraming,
): AsyncGenerator<Uint8Array> {
  const { expected, host, signal } = framing;
  const onAbort = () => response.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  let received = 0;
  try {
    if (signal.aborted) throw abortError(signal);
    const accept = (bytes: Buffer): Buffer => {
      if (expected !== undefined && received + bytes.length > expected) {
        throw new RegetError(ErrorCode.PROTOCOL, `${host} sent more than the ${expected} bytes it declared.`);
      }
      received += bytes.length;
      return bytes;
    };
    try {
      for await (const chunk of response) yield accept(chunk as Buffer);
    } catch (error) {
      if (error instanceof RegetError) throw error;
      if (signal.aborted) throw abortError(signal);
      // When the connection drops, Node destroys the response with bytes still in its buffer, and
      // the iterator never hands them out; read() still does. Every byte received is kept (NET-01).
      for (
        let chunk = response.read() as Buffer | null;
        chunk !== null;
        chunk = response.read() as Buffer | null
      ) {
        yield accept(chunk);
      }
      throw partial(received, expected, host, error);
    }
    if (!response.complete || (expected !== undefined && received < expected))
      throw partial(received, expected, host);
  } finally {
    signal.removeEventListener('abort', onAbort);
    // A body left before its end would otherwise keep the socket; a complete one goes back to the pool.
    if (!response.complete) response.destroy();
  }
}
