import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';

/**
 * Bytes of the one read buffer an HTTP agent's sockets share. Measured (1 GiB from nginx on
 * loopback, Node 20): without it every socket read allocates a new ArrayBuffer, and the HTTP
 * parser copies the body out of it into another, ~2 bytes of ArrayBuffer per byte; with it the
 * parser's copy is the only one, which halves the scavenges (and the full GCs of a process whose old
 * generation is past V8's 8 MiB marking threshold) and took ~0.9 s of CPU off a 1 GiB download.
 */
const readBufferBytes = 256 * 1024;

// Node's HTTP parser consumes a read synchronously and copies out what it keeps (header strings,
// body spans) before it returns, as Node's own server relies on with its shared read buffer; the
// buffer is only written again by the event loop's next read, never while a read is being parsed.
function deliverRead(this: Socket, bytesRead: number, buffer: Uint8Array): boolean {
  this.emit('data', (buffer as Buffer).subarray(0, bytesRead));
  // Reading goes on; the HTTP client pauses the socket itself when the response is not read.
  return true;
}

/** The keep-alive agents of one adapter, when the axios instance does not bring its own. */
export interface Agents {
  readonly http: http.Agent;
  readonly https: https.Agent;
  /** Closes every socket. Safe to call twice. */
  destroy(): void;
}

/** TLS settings of the HTTPS agent: reget's `ca` and `insecure` options. */
export interface AgentTls {
  readonly ca: string | Buffer | Array<string | Buffer> | undefined;
  readonly rejectUnauthorized: boolean;
}

/**
 * Keep-alive agents (LIFO, so the warmest connection is reused) for the remotes of one adapter. Plain HTTP sockets
 * read into one shared buffer (`onread`); TLS sockets keep Node's own read buffers, because whether
 * TLS can decrypt into a read buffer outside the event loop's read callback was not established.
 */
export function createAgents(tls: AgentTls): Agents {
  const readBuffer = Buffer.allocUnsafeSlow(readBufferBytes);
  // The agent passes its options on to net.createConnection for every socket.
  const httpAgent = new http.Agent({
    keepAlive: true,
    scheduling: 'lifo',
    onread: { buffer: readBuffer, callback: deliverRead },
  });
  const httpsAgent = new https.Agent({
    keepAlive: true,
    scheduling: 'lifo',
    ca: tls.ca,
    rejectUnauthorized: tls.rejectUnauthorized,
  });
  return {
    http: httpAgent,
    https: httpsAgent,
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
