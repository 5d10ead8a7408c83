import type { Socket } from 'node:net';
import type { HttpServerFaults } from './faults.js';

const headerEnd = Buffer.from('\r\n\r\n');

/**
 * Adds `Connection: close` to a raw response's head when it names no Connection: the socket closes
 * after a raw answer, and a client that thought it reusable would race the close on its next request.
 */
function withConnectionClose(raw: Buffer): Buffer {
  const end = raw.indexOf(headerEnd);
  if (end < 0) return raw;
  const head = raw.subarray(0, end).toString('latin1');
  if (/\r\nconnection:/i.test(head)) return raw;
  return Buffer.concat([raw.subarray(0, end), Buffer.from('\r\nConnection: close'), raw.subarray(end)]);
}

/** Writes raw bytes as the whole answer on `socket`, then closes it. */
export function writeRaw(socket: Socket, raw: string | Uint8Array): void {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : Buffer.from(raw);
  socket.end(withConnectionClose(bytes));
}

/** A raw HTTP/1.1 answer: status line, the given header lines, a blank line and the body. */
export function rawResponse(
  status: string,
  headers: readonly string[],
  body: string | Uint8Array = '',
): Buffer {
  const head = [`HTTP/1.1 ${status}`, ...headers, '', ''].join('\r\n');
  return Buffer.concat([
    Buffer.from(head, 'latin1'),
    typeof body === 'string' ? Buffer.from(body, 'latin1') : body,
  ]);
}

/** Faults that answer every GET with `raw` (HEAD still gets the file, so a probe works). */
export function rawForGet(raw: string | Uint8Array): HttpServerFaults {
  return { raw: (request) => (request.method === 'GET' ? raw : undefined) };
}
