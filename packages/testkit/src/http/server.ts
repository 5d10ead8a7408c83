import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createHttpAdapter, type HttpAdapter, type HttpAdapterOptions } from '@reget/http';
import type { ConformanceServer } from '../conformance/target.js';
import { DiskFolder } from '../disk/folder.js';
import { generateTestCertificate, type TestCertificate } from '../ftp/certificate.js';
import {
  answerChunked,
  answerErrorPage,
  answerHead,
  answerRedirect,
  answerShifted,
  answerUnauthorized,
  answerUnsatisfiableWithoutTotal,
  basicAuthorization,
  requestedRange,
  validatorHeaders,
} from './answers.js';
import { limitBody } from './body-limit.js';
import { diskVersion, type ServedFile, servedFromDisk } from './disk-file.js';
import type { HttpServerFaults, RecordedRequest } from './faults.js';
import { HttpFileStore } from './files.js';
import { writeRaw } from './raw.js';
import { RecordingOrigin, redirectLocation } from './second-origin.js';
import { serveFile } from './serve-file.js';

/** Options for {@link startHttpServer}. */
export interface HttpServerOptions {
  /** Serve HTTPS with a freshly generated self-signed certificate, which the adapter trusts as `ca`. */
  readonly tls?: boolean | undefined;
  /** Require HTTP basic auth with these credentials; {@link HttpTestServer.url} then carries them. */
  readonly auth?: { readonly username: string; readonly password: string } | undefined;
  /** Options for the adapter the server hands out (with `tls`, `ca` defaults to the certificate). */
  readonly adapterOptions?: HttpAdapterOptions | undefined;
  /** Port to listen on (127.0.0.1). Default 0: an ephemeral port. The second origin is always ephemeral. */
  readonly port?: number | undefined;
  /**
   * Also serve the files under this folder, from disk: each request looks at the file afresh (its
   * size, ETag and Last-Modified come from a `stat`, so a change on disk is seen at once) and its
   * bytes stream from disk. Files put with {@link HttpTestServer.putFile} take precedence. Faults
   * that rewrite the body (`shiftRangeBy`, `chunked`, `gzip`) apply to put files only, and so does
   * the second origin. Dot files, symbolic links and special files in the folder are not served.
   */
  readonly folder?: string | undefined;
}

type Countdown = 'drop' | 'errorPage' | 'redirect';

/**
 * The embedded HTTP(S) server on 127.0.0.1: correct Range/ETag/If-Range serving through `send` of
 * the files put with {@link HttpTestServer.putFile} and, with `folder`, of a folder on disk;
 * switchable faults ({@link HttpServerFaults}), a request log, a forward-proxy mode (absolute URIs
 * are served like paths) and a recording second origin for redirects.
 */
export class HttpTestServer implements ConformanceServer {
  readonly adapter: HttpAdapter;
  /** `http://127.0.0.1:<port>` or `https://…`. */
  readonly origin: string;
  /** The self-signed certificate (PEM) when serving HTTPS; pass it as `ca` to trust the server. */
  readonly certificate: string | undefined;
  /** The recording second origin, target of `redirect: { to: 'second-origin' }`. */
  readonly secondOrigin: RecordingOrigin;
  /** Every request this origin received since the last {@link resetCounters}, oldest first. */
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #files: HttpFileStore;
  readonly #folder: DiskFolder | undefined;
  readonly #auth: HttpServerOptions['auth'];
  #faults: HttpServerFaults = {};
  #remaining = new Map<Countdown, number>();
  #bytesSent = 0;
  readonly #transferStarts: number[] = [];
  readonly #sockets = new Set<Socket>();
  #onSocketsClosed: Array<() => void> = [];
  #freshCount = 0;
  #accepted = 0;

  private constructor(parts: {
    server: Server;
    files: HttpFileStore;
    folder: DiskFolder | undefined;
    secondOrigin: RecordingOrigin;
    origin: string;
    certificate: TestCertificate | undefined;
    options: HttpServerOptions;
  }) {
    this.#server = parts.server;
    this.#files = parts.files;
    this.#folder = parts.folder;
    this.secondOrigin = parts.secondOrigin;
    this.origin = parts.origin;
    this.certificate = parts.certificate?.cert;
    this.#auth = parts.options.auth;
    this.adapter = createHttpAdapter({ ca: this.certificate, ...parts.options.adapterOptions });
    this.#server.on('connection', (socket: Socket) => {
      this.#accepted += 1;
      this.#sockets.add(socket);
      socket.once('close', () => {
        this.#sockets.delete(socket);
        if (this.#sockets.size > 0) return;
        for (const resolve of this.#onSocketsClosed.splice(0)) resolve();
      });
    });
  }

  /** Starts a server (and its second origin) on 127.0.0.1, on ephemeral ports unless `port` is given. */
  static async start(options: HttpServerOptions = {}): Promise<HttpTestServer> {
    const folder = options.folder === undefined ? undefined : await DiskFolder.open(options.folder);
    const files = await HttpFileStore.create();
    let instance: HttpTestServer | undefined;
    const secondOrigin = await RecordingOrigin.start(files, (count) => {
      if (instance) instance.#bytesSent += count;
    });
    const certificate = options.tls ? await generateTestCertificate() : undefined;
    const handler = (request: IncomingMessage, response: ServerResponse) => {
      if (instance) instance.#handle(request, response);
      else response.destroy();
    };
    const server = certificate
      ? createHttpsServer({ cert: certificate.cert, key: certificate.key }, handler)
      : createHttpServer(handler);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      // A port in use (EADDRINUSE) is the caller's to report; leave nothing behind.
      await secondOrigin.close();
      await files.remove();
      throw error;
    }
    const { port } = server.address() as AddressInfo;
    const origin = `${certificate ? 'https' : 'http'}://127.0.0.1:${port}`;
    instance = new HttpTestServer({ server, files, folder, secondOrigin, origin, certificate, options });
    return instance;
  }

  /** The URL of `path` (e.g. `/file.bin`), with the credentials when the server requires them. */
  url(path: string): string {
    const url = new URL(path, this.origin);
    if (this.#auth) {
      url.username = encodeURIComponent(this.#auth.username);
      url.password = encodeURIComponent(this.#auth.password);
    }
    return url.href;
  }

  /** The URL of `path` with a password the server refuses, or undefined when it does not authenticate. */
  unauthorizedUrl(path: string): string | undefined {
    if (!this.#auth) return undefined;
    const url = new URL(path, this.origin);
    url.username = encodeURIComponent(this.#auth.username);
    url.password = 'secret-wrong';
    return url.href;
  }

  /** Creates or replaces a file; a replacement always changes its ETag and Last-Modified. */
  putFile(path: string, content: Uint8Array): Promise<void> {
    return this.#files.put(path, content);
  }

  /** Puts `content` at a path never used before and returns its URL (as {@link url} gives it). */
  async putFresh(content: Uint8Array, extension = '.bin'): Promise<string> {
    this.#freshCount += 1;
    const path = `/fresh-${this.#freshCount}${extension}`;
    await this.putFile(path, content);
    return this.url(path);
  }

  /** Faults for the requests received from now on; `{}` clears them. */
  setFaults(faults: HttpServerFaults): void {
    this.#faults = faults;
    this.#remaining = new Map<Countdown, number>([
      ['drop', faults.dropTimes ?? Number.POSITIVE_INFINITY],
      ['errorPage', faults.errorPage?.times ?? Number.POSITIVE_INFINITY],
      ['redirect', faults.redirect?.times ?? Number.POSITIVE_INFINITY],
    ]);
  }

  /** File body bytes sent by this origin and the second one since the last {@link resetCounters}. */
  bytesSent(): number {
    return this.#bytesSent;
  }

  /** Where each GET answered with a file body started (0 without a Range, or when it is ignored). */
  transferStarts(): readonly number[] {
    return [...this.#transferStarts];
  }

  /** Client connections (TCP) this origin accepted since it started. */
  connectionsAccepted(): number {
    return this.#accepted;
  }

  /** Client connections open on this origin right now. */
  openConnections(): number {
    return this.#sockets.size;
  }

  /** Resolves once no client connection is open on this origin (at once if none is). */
  whenConnectionsClosed(): Promise<void> {
    if (this.#sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#onSocketsClosed.push(resolve));
  }

  /** Zeroes {@link bytesSent}, forgets the transfer starts and empties both request logs. */
  resetCounters(): void {
    this.#bytesSent = 0;
    this.#transferStarts.length = 0;
    this.requests.length = 0;
    this.secondOrigin.requests.length = 0;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await this.secondOrigin.close();
    await this.#files.remove();
  }

  #count(bytes: number): void {
    this.#bytesSent += bytes;
  }

  #take(kind: Countdown): boolean {
    const left = this.#remaining.get(kind) ?? Number.POSITIVE_INFINITY;
    if (left <= 0) return false;
    this.#remaining.set(kind, left - 1);
    return true;
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const target = request.url ?? '/';
    const url = new URL(target, 'http://placeholder');
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname + url.search,
      headers: request.headers,
      isProxied: !target.startsWith('/'),
    };
    this.requests.push(recorded);
    const faults = this.#faults;
    const raw = faults.raw?.(recorded);
    if (raw !== undefined) {
      writeRaw(request.socket, raw);
      return;
    }
    const isMoved = url.pathname.startsWith('/moved/');
    const encodedPath = isMoved ? url.pathname.slice('/moved'.length) : url.pathname;
    if (faults.redirect && !isMoved && this.#take('redirect')) {
      const location = redirectLocation(faults.redirect, encodedPath + url.search, target, this.secondOrigin);
      answerRedirect(response, faults.redirect.status ?? 302, location, faults.redirect.headers);
      return;
    }
    if (this.#auth && request.headers.authorization !== basicAuthorization(this.#auth)) {
      answerUnauthorized(response);
      return;
    }
    if (faults.errorPage && this.#take('errorPage')) {
      answerErrorPage(response, faults.errorPage);
      return;
    }
    this.#serve(request, response, encodedPath);
  }

  #serve(request: IncomingMessage, response: ServerResponse, encodedPath: string): void {
    let path: string;
    try {
      path = decodeURIComponent(encodedPath);
    } catch {
      path = encodedPath;
    }
    const file = this.#files.get(path);
    if (file !== undefined || this.#folder === undefined) {
      this.#answer(request, response, file && { ...file, size: file.content.length, encodedPath });
      return;
    }
    servedFromDisk(this.#folder, path)
      .then(
        (served) => this.#answer(request, response, served),
        () => answerErrorPage(response, { status: 500 }),
      )
      .catch(() => response.destroy());
  }

  #answer(request: IncomingMessage, response: ServerResponse, file: ServedFile | undefined): void {
    const faults = this.#faults;
    const isGet = request.method === 'GET';
    const range = request.headers.range;
    if (!file || (request.method !== 'GET' && request.method !== 'HEAD')) {
      answerErrorPage(response, { status: file ? 405 : 404 });
      return;
    }
    const validators = faults.validators ?? 'strong-etag';
    const isDateWeak = faults.weakLastModified === true;
    const headers = { ...validatorHeaders(file, validators, isDateWeak), ...faults.extraHeaders };
    if (request.method === 'HEAD' && faults.head !== undefined && faults.head !== 'normal') {
      answerHead(response, faults.head, headers);
      return;
    }
    if (isGet && faults.rangeProbeStatus !== undefined && range?.trim() === 'bytes=0-0') {
      answerErrorPage(response, { status: faults.rangeProbeStatus });
      return;
    }
    if (isGet) this.#limit(response);
    const asked = faults.ignoreRange ? undefined : requestedRange(range, file.size);
    const refusesRange =
      faults.unsatisfiableWithoutTotal === 'any-range'
        ? asked !== undefined && asked.start > 0
        : asked !== undefined && faults.unsatisfiableWithoutTotal === true && asked.start >= file.size;
    if (refusesRange) {
      answerUnsatisfiableWithoutTotal(response);
      return;
    }
    // A 416 sends no body; everything else a GET gets from here on does (shifted: from elsewhere).
    if (isGet && (asked === undefined || asked.start < file.size)) {
      const shift = file.content !== undefined && asked !== undefined ? (faults.shiftRangeBy ?? 0) : 0;
      this.#transferStarts.push(Math.max(0, (asked?.start ?? 0) + shift));
    }
    const { content } = file;
    if (content !== undefined && isGet && asked !== undefined && faults.shiftRangeBy !== undefined) {
      answerShifted(response, { content }, asked, faults.shiftRangeBy, headers);
      return;
    }
    if (content !== undefined && isGet && asked === undefined && faults.chunked) {
      answerChunked(response, { content }, headers);
      return;
    }
    if (faults.ignoreRange) delete request.headers.range;
    if (faults.ignoreIfRange) delete request.headers['if-range'];
    const gzip =
      faults.gzip === 'always' ||
      (faults.gzip === 'when-asked' && /\bgzip\b/i.test(request.headers['accept-encoding'] ?? ''));
    if (content !== undefined && gzip) {
      const encodedHeaders: Record<string, string> = {
        ...headers,
        'Content-Encoding': 'gzip',
        Vary: 'Accept-Encoding',
      };
      if (headers.ETag) encodedHeaders.ETag = headers.ETag.replace(/"$/, '-gzip"');
      serveFile(request, response, {
        root: this.#files.gzipRoot,
        encodedPath: file.encodedPath,
        headers: encodedHeaders,
      });
      return;
    }
    serveFile(request, response, {
      root: file.root ?? this.#files.root,
      encodedPath: file.encodedPath,
      headers,
      // On disk, the file may have changed since the look-up: name the version `send` itself found.
      headersOf:
        content === undefined
          ? (stats) => ({
              ...validatorHeaders(diskVersion(stats), validators, isDateWeak),
              ...faults.extraHeaders,
            })
          : undefined,
    });
  }

  #limit(response: ServerResponse): void {
    const faults = this.#faults;
    const canDrop = faults.dropAfterBytes !== undefined && (this.#remaining.get('drop') ?? 0) > 0;
    limitBody(response, {
      dropAfterBytes: canDrop ? faults.dropAfterBytes : undefined,
      stallAfterBytes: canDrop ? undefined : faults.stallAfterBytes,
      onBytes: (count) => this.#count(count),
      onCut: () => {
        if (canDrop) this.#take('drop');
      },
    });
  }
}

/** Starts an embedded HTTP(S) server with fault injection; see {@link HttpTestServer}. */
export function startHttpServer(options: HttpServerOptions = {}): Promise<HttpTestServer> {
  return HttpTestServer.start(options);
}
