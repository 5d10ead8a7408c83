import { createServer, type Server, type Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';

/** An accepted data connection, TLS-wrapped and handshaken when the session is protected (PROT P). */
export interface DataConnection {
  readonly socket: Socket;
  /** Whether the TLS session of the control connection was resumed; undefined without TLS. */
  readonly isSessionReused: boolean | undefined;
}

/** A passive-mode (PASV/EPSV) listener that accepts exactly one data connection. */
export class PassiveListener {
  readonly #server: Server;
  readonly #connection: Promise<DataConnection>;

  private constructor(server: Server, connection: Promise<DataConnection>) {
    this.#server = server;
    this.#connection = connection;
  }

  /**
   * Listens on an ephemeral port of `host`. With a `secureContext` the accepted connection is
   * wrapped in TLS; `track` sees every socket so the server can destroy them when it closes.
   */
  static async open(
    host: string,
    secureContext: SecureContext | undefined,
    track: (socket: Socket) => void,
  ): Promise<PassiveListener> {
    const server = createServer();
    const connection = new Promise<DataConnection>((resolve, reject) => {
      server.once('connection', (raw) => {
        track(raw);
        server.close();
        if (secureContext === undefined) {
          resolve({ socket: raw, isSessionReused: undefined });
          return;
        }
        const secure = new TLSSocket(raw, { isServer: true, secureContext });
        track(secure);
        secure.once('secure', () => resolve({ socket: secure, isSessionReused: secure.isSessionReused() }));
        secure.once('error', reject);
      });
      server.once('close', () => reject(new Error('Passive listener closed before a connection arrived.')));
    });
    // The connection may never be awaited (PASV without RETR); its rejection is not an error then.
    connection.catch(() => {});
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    return new PassiveListener(server, connection);
  }

  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string')
      throw new Error('Passive listener is not listening.');
    return address.port;
  }

  /** The data connection, or a rejection when none arrives within `timeoutMs`. */
  async accept(timeoutMs: number): Promise<DataConnection> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('No data connection arrived.')), timeoutMs);
    });
    try {
      return await Promise.race([this.#connection, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    if (this.#server.listening) this.#server.close();
  }
}

/** How a body transfer on a data connection ended. */
export type SendOutcome = 'complete' | 'dropped' | 'stalled' | 'broken';

/** Where {@link sendBody} stops early, and who counts the bytes. */
export interface SendPlan {
  /** Close the data connection cleanly after this many bytes. */
  readonly dropAfter: number | undefined;
  /** Stop sending after this many bytes and wait until the client gives up. */
  readonly stallAfter: number | undefined;
  readonly onBytes: (count: number) => void;
}

const chunkSize = 64 * 1024;

/** `content` in the chunks {@link sendBody} writes. */
export function* chunksOf(content: Uint8Array): Generator<Uint8Array> {
  for (let position = 0; position < content.length; position += chunkSize) {
    yield content.subarray(position, position + chunkSize);
  }
}

/**
 * Sends `body` on a data connection with backpressure, applying the plan's faults. The body is
 * pulled one chunk at a time, so a file streamed from disk is never held whole; a cut happens only
 * when more bytes follow it, as a body that ends exactly at the limit is complete.
 */
export async function sendBody(
  socket: Socket,
  body: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  plan: SendPlan,
): Promise<SendOutcome> {
  const limit = Math.min(
    plan.dropAfter ?? Number.POSITIVE_INFINITY,
    plan.stallAfter ?? Number.POSITIVE_INFINITY,
  );
  let position = 0;
  let isCut = false;
  for await (const chunk of body) {
    if (socket.destroyed) return 'broken';
    const room = limit - position;
    const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (piece.length > 0) {
      position += piece.length;
      plan.onBytes(piece.length);
      if (!socket.write(piece)) await firstOf(socket, ['drain', 'close']);
    }
    if (piece.length < chunk.length) {
      isCut = true;
      break;
    }
  }
  if (socket.destroyed) return 'broken';
  if (isCut && position === plan.stallAfter) {
    await firstOf(socket, ['close']);
    return 'stalled';
  }
  // Everything written is flushed at 'finish'; 'close' covers a client that went away meanwhile.
  const flushed = firstOf(socket, ['finish', 'close']);
  socket.end();
  await flushed;
  return isCut ? 'dropped' : 'complete';
}

/** Resolves at the first of `events` on `socket` (a socket that is already gone counts as closed). */
function firstOf(socket: Socket, events: readonly string[]): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      for (const event of events) socket.off(event, done);
      resolve();
    };
    for (const event of events) socket.on(event, done);
  });
}

/**
 * {@link toNetworkAscii} for a body read in chunks, from byte `offset` of the converted text (REST
 * counts the bytes sent, which are the converted ones).
 */
export async function* toNetworkAsciiChunks(
  chunks: AsyncIterable<Uint8Array>,
  offset: number,
): AsyncGenerator<Uint8Array> {
  let skip = offset;
  let endsInCarriageReturn = false;
  for await (const chunk of chunks) {
    const text = Buffer.from(chunk).toString('latin1');
    // A line feed at the start of a chunk follows the carriage return that ended the one before.
    const converted = (endsInCarriageReturn ? '\r' : '') + text;
    let network = Buffer.from(converted.replace(/\r?\n/g, '\r\n'), 'latin1');
    if (endsInCarriageReturn) network = network.subarray(1);
    endsInCarriageReturn = text.endsWith('\r');
    if (skip >= network.length) {
      skip -= network.length;
      continue;
    }
    yield network.subarray(skip);
    skip = 0;
  }
}

/** TYPE A sends text with CRLF line ends (RFC 959 §3.1.1.1), which changes byte counts. */
export function toNetworkAscii(content: Uint8Array): Uint8Array {
  return Buffer.from(Buffer.from(content).toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}
