import type { ServerResponse } from 'node:http';

/** What to do to one response body as it is written. */
export interface BodyLimit {
  /** Close the connection once this many body bytes are out (if the body is longer). */
  readonly dropAfterBytes?: number | undefined;
  /** Stop writing after this many body bytes and never end the response (if the body is longer). */
  readonly stallAfterBytes?: number | undefined;
  /** Called with the size of every body chunk actually sent. */
  readonly onBytes: (count: number) => void;
  /** Called once when the body is cut (dropped or stalled). */
  readonly onCut: () => void;
}

function toBuffer(chunk: unknown): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk);
  const view = chunk as Uint8Array;
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * Counts, cuts or stalls a 2xx response body whoever writes it (`send` pipes a file stream into the
 * response) by wrapping `write` and `end` of this one response. A drop flushes the bytes allowed and
 * then closes the socket; a stall swallows everything after the limit and keeps the socket open.
 */
export function limitBody(response: ServerResponse, limit: BodyLimit): void {
  const cutAt = limit.dropAfterBytes ?? limit.stallAfterBytes;
  const isDrop = limit.dropAfterBytes !== undefined;
  const write = response.write.bind(response) as (chunk: Buffer, callback?: () => void) => boolean;
  const end = response.end.bind(response) as () => ServerResponse;
  let sent = 0;
  let isCut = false;

  const cut = (allowed: Buffer) => {
    isCut = true;
    limit.onCut();
    limit.onBytes(allowed.length);
    if (!isDrop) {
      if (allowed.length > 0) write(allowed);
      else response.flushHeaders();
      return;
    }
    const socket = response.socket;
    if (allowed.length > 0) {
      write(allowed, () => socket?.destroy());
    } else {
      response.flushHeaders();
      socket?.end();
    }
  };

  const limitedWrite = (chunk: unknown, ...rest: unknown[]): boolean => {
    if (isCut) return false;
    const bytes = toBuffer(chunk);
    const callback = rest.find((item) => typeof item === 'function') as (() => void) | undefined;
    // Only file bodies (2xx) are counted and cut; an error page passes untouched.
    if (response.statusCode < 200 || response.statusCode > 299) return write(bytes, callback);
    if (cutAt !== undefined && sent + bytes.length > cutAt) {
      cut(bytes.subarray(0, cutAt - sent));
      return false;
    }
    sent += bytes.length;
    limit.onBytes(bytes.length);
    return write(bytes, callback);
  };

  const limitedEnd = (chunk?: unknown): ServerResponse => {
    if (chunk !== undefined && typeof chunk !== 'function') limitedWrite(chunk);
    return isCut ? response : end();
  };

  response.write = limitedWrite as ServerResponse['write'];
  response.end = limitedEnd as ServerResponse['end'];
}
