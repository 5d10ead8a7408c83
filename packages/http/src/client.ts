import * as http from 'node:http';
import { type IncomingHttpHeaders, IncomingMessage } from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { ErrorCode, RegetError } from '@reget/core';
import { sendDirect } from './direct.js';
import { ConnectTimeout, classifyFailure } from './failure.js';
import type { ResolvedHttpOptions } from './options.js';
import { hasProxyEnvironment, proxySetting } from './proxy.js';
import { isRedirect, redirectTarget } from './redirect.js';

/** One request as the remote wants it; the client adds the fixed headers and follows redirects. */
export interface ExchangeRequest {
  readonly method: 'GET' | 'HEAD';
  /** The Range header value, if any. */
  readonly range?: string | undefined;
  /** The If-Range header value, if any. */
  readonly ifRange?: string | undefined;
  readonly signal: AbortSignal;
}

/** The final (non-redirect) response of an exchange. Its body must be consumed or discarded. */
export interface Exchange {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: IncomingMessage;
  /** The URL that answered, after redirects, without credentials. */
  readonly url: URL;
}

// Small error and redirect bodies are read to the end so their connection can be reused.
const drainLimit = 64 * 1024;

/** Throws away a body that will not be used, keeping its connection for reuse when that is cheap. */
export function discard(response: IncomingMessage): void {
  response.on('error', () => undefined);
  const length = Number(response.headers['content-length']);
  if (response.complete || (Number.isSafeInteger(length) && length <= drainLimit)) response.resume();
  else response.destroy();
}

function decodeCredential(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      'The user name or password in the URL is not validly percent-encoded.',
    );
  }
}

/** Aborts a request that has not connected (TCP and TLS) within `timeoutMs`; reused sockets pass. */
function watchConnect(request: http.ClientRequest, timeoutMs: number): void {
  if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) return;
  request.once('socket', (socket: Socket) => {
    if (!socket.connecting) return;
    const timer = setTimeout(() => request.destroy(new ConnectTimeout(timeoutMs)), timeoutMs);
    const stop = () => clearTimeout(timer);
    socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', stop);
    socket.once('close', stop);
  });
}

/**
 * Speaks HTTP for one remote: keep-alive agents of its own, `Accept-Encoding: identity` and no
 * decompression, a connect timeout, and redirects followed here (axios `maxRedirects: 0`) so Range
 * and If-Range are resent on every hop while credentials and the caller's headers never leave the
 * original origin (FAULTS HTTP-14, SEC-03, SEC-04). Requests go through axios when the environment
 * names a proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, with NO_PROXY); otherwise, where axios would
 * only hand them to Node's http/https, they go there directly and axios is never loaded.
 */
export class HttpClient {
  readonly #url: URL;
  readonly #options: ResolvedHttpOptions;
  readonly #connectTimeoutMs: number;
  readonly #authorization: string | undefined;
  readonly #httpAgent: http.Agent;
  readonly #httpsAgent: https.Agent;
  readonly #transport = {
    request: (options: https.RequestOptions, callback: (response: IncomingMessage) => void) => {
      const request = (options.protocol === 'https:' ? https : http).request(options, callback);
      watchConnect(request, this.#connectTimeoutMs);
      return request;
    },
  };

  constructor(url: URL, options: ResolvedHttpOptions, connectTimeoutMs: number) {
    const bare = new URL(url.href);
    bare.username = '';
    bare.password = '';
    bare.hash = '';
    this.#url = bare;
    this.#options = options;
    this.#connectTimeoutMs = connectTimeoutMs;
    if (url.username !== '' || url.password !== '') {
      const credentials = `${decodeCredential(url.username)}:${decodeCredential(url.password)}`;
      this.#authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
    }
    this.#httpAgent = new http.Agent({ keepAlive: true, scheduling: 'lifo' });
    this.#httpsAgent = new https.Agent({
      keepAlive: true,
      scheduling: 'lifo',
      ca: options.ca,
      rejectUnauthorized: !options.insecure,
    });
  }

  /** The URL asked for, without credentials. */
  get url(): URL {
    return new URL(this.#url.href);
  }

  /** Sends `request` to the URL, following redirects, and returns the final response. */
  async exchange(request: ExchangeRequest): Promise<Exchange> {
    let current = this.url;
    // Sticky: once the chain has left the origin, nothing sensitive is sent again, even back home.
    let isSameOrigin = true;
    for (let hops = 0; ; hops += 1) {
      const response = await this.#send(current, request, isSameOrigin);
      const status = response.statusCode ?? 0;
      if (!isRedirect(status)) return { status, headers: response.headers, body: response, url: current };
      discard(response);
      if (hops >= this.#options.maxRedirects) {
        throw new RegetError(ErrorCode.PROTOCOL, `Stopped after ${hops} redirects from ${this.#url.host}.`, {
          retryable: false,
        });
      }
      const next = redirectTarget(response.headers.location, current, current.host);
      if (next.origin !== this.#url.origin) isSameOrigin = false;
      current = next;
    }
  }

  /** Releases every connection. Safe to call twice. */
  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }

  #headers(request: ExchangeRequest, isSameOrigin: boolean): Record<string, string> {
    const headers: Record<string, string> = {
      accept: '*/*',
      // Ranges count encoded bytes (RFC 9110 §14.1.2): only the identity coding can be resumed.
      'accept-encoding': 'identity',
      'user-agent': this.#options.userAgent,
    };
    if (isSameOrigin) {
      if (this.#authorization !== undefined) headers.authorization = this.#authorization;
      for (const [name, value] of Object.entries(this.#options.headers)) headers[name.toLowerCase()] = value;
    }
    if (request.range !== undefined) headers.range = request.range;
    if (request.ifRange !== undefined) headers['if-range'] = request.ifRange;
    return headers;
  }

  async #send(url: URL, request: ExchangeRequest, isSameOrigin: boolean): Promise<IncomingMessage> {
    const headers = this.#headers(request, isSameOrigin);
    try {
      // Measured (issue 3): axios adds ~4.4 MiB to the old generation, which puts the CLI at 9-10 MiB,
      // just above V8's 8 MiB incremental-marking threshold. Node 20's V8 counts the ArrayBuffers a
      // download churns through (socket reads plus the HTTP parser's body copies, ~2 bytes per byte,
      // freed only by the next scavenge, every ~32 MiB) against the old-generation limit, so past
      // that threshold a 1 GiB download ran ~65 full GCs (+0.8 s CPU) where plain Node runs none.
      if (!hasProxyEnvironment()) {
        return await sendDirect(url, {
          method: request.method,
          headers,
          agent: url.protocol === 'https:' ? this.#httpsAgent : this.#httpAgent,
          signal: request.signal,
          onRequest: (clientRequest) => watchConnect(clientRequest, this.#connectTimeoutMs),
        });
      }
      return await this.#sendWithAxios(url, request, headers);
    } catch (error) {
      throw classifyFailure(error, url.host, request.signal);
    }
  }

  async #sendWithAxios(
    url: URL,
    request: ExchangeRequest,
    headers: Record<string, string>,
  ): Promise<IncomingMessage> {
    const { default: axios } = await import('axios');
    const response = await axios.request<unknown>({
      url: url.href,
      method: request.method,
      headers,
      responseType: 'stream',
      decompress: false,
      maxRedirects: 0,
      validateStatus: () => true,
      // -1 is axios's "unlimited"; any other value (even Infinity) wraps the body in a counting generator.
      maxContentLength: -1,
      maxBodyLength: -1,
      proxy: proxySetting(url),
      httpAgent: this.#httpAgent,
      httpsAgent: this.#httpsAgent,
      transport: this.#transport,
      signal: request.signal,
    });
    if (!(response.data instanceof IncomingMessage)) {
      throw new RegetError(ErrorCode.PROTOCOL, `The response from ${url.host} could not be streamed.`);
    }
    return response.data;
  }
}
