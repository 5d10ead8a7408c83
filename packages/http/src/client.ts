import * as http from 'node:http';
import { type IncomingHttpHeaders, IncomingMessage } from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { ErrorCode, RegetError } from '@reget/core';
import type { AxiosInstance, AxiosRequestConfig } from 'axios';
import type { Agents } from './agents.js';
import { ConnectTimeout, classifyFailure } from './failure.js';
import type { ResolvedHttpOptions } from './options.js';
import { proxySetting } from './proxy.js';
import { isRedirect, redirectTarget } from './redirect.js';
import { applyWirePolicy, type WirePolicy } from './wire.js';

/** One request as the remote wants it; the client adds the fixed headers and follows redirects. */
export interface ExchangeRequest {
  readonly method: 'GET' | 'HEAD';
  /** The Range header value, if any. */
  readonly range?: string | undefined;
  /** The If-Range header value, if any. */
  readonly ifRange?: string | undefined;
  readonly signal: AbortSignal;
}

/** A redirect answered on the way to an exchange's final response. */
export interface Redirect {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The URL that answered with the redirect, without credentials. */
  readonly url: URL;
}

/** The final (non-redirect) response of an exchange. Its body must be consumed or discarded. */
export interface Exchange {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: IncomingMessage;
  /** The URL that answered, after redirects, without credentials. */
  readonly url: URL;
  /**
   * The redirects followed to get here, first first. A download redirector (MirrorBrain) puts its
   * `Digest` and `Link: rel=duplicate` headers on them (RFC 6249 §1).
   */
  readonly redirects: readonly Redirect[];
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

type Transport = Pick<typeof http, 'request'>;

/**
 * Speaks HTTP for one remote, every request through the axios instance (the caller's, or one of
 * reget's own). Per request it sets what reget relies on, whatever the instance's defaults say:
 * a streamed body (`responseType: 'stream'`, no decompression, no transform, no size limit, no
 * progress wrapper), every status resolved, and redirects followed here (`maxRedirects: 0`) so
 * Range and If-Range are resent on every hop while credentials never leave the original origin
 * (FAULTS HTTP-14, SEC-03, SEC-04). Its transport wraps axios's last step, Node's
 * `http.request`: there the wire headers reget owns are set again after every interceptor
 * (`Accept-Encoding: identity`, Range, If-Range), credentials are stripped on a cross-origin hop,
 * and the connect timeout starts. A response that did not come through that transport, or whose
 * body the instance replaced, is refused.
 */
export class HttpClient {
  readonly #url: URL;
  readonly #options: ResolvedHttpOptions;
  readonly #axios: AxiosInstance;
  readonly #connectTimeoutMs: number;
  readonly #credentials: { readonly username: string; readonly password: string } | undefined;
  readonly #agents: Agents | undefined;
  readonly #instanceTransport: Transport | undefined;

  /** `agents`: the adapter's keep-alive agents, used where the axios instance brings none. */
  constructor(url: URL, options: ResolvedHttpOptions, connectTimeoutMs: number, agents: Agents | undefined) {
    const bare = new URL(url.href);
    bare.username = '';
    bare.password = '';
    bare.hash = '';
    this.#url = bare;
    this.#options = options;
    this.#axios = options.axios;
    this.#connectTimeoutMs = connectTimeoutMs;
    if (url.username !== '' || url.password !== '') {
      this.#credentials = {
        username: decodeCredential(url.username),
        password: decodeCredential(url.password),
      };
    }
    this.#agents = agents;
    const transport = this.#axios.defaults.transport as Transport | undefined;
    this.#instanceTransport = typeof transport?.request === 'function' ? transport : undefined;
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
    const redirects: Redirect[] = [];
    for (let hops = 0; ; hops += 1) {
      const response = await this.#send(current, request, { isSameOrigin, isRedirected: hops > 0 });
      const status = response.statusCode ?? 0;
      if (!isRedirect(status)) {
        return { status, headers: response.headers, body: response, url: current, redirects };
      }
      discard(response);
      redirects.push({ status, headers: response.headers, url: current });
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

  /**
   * Nothing to release: a response not read to its end destroys its socket, and the idle
   * keep-alive sockets belong to the adapter's agents, for the next remote.
   */
  close(): void {}

  #policy(request: ExchangeRequest, isSameOrigin: boolean): WirePolicy {
    const owned: Record<string, string> = {
      // Ranges count encoded bytes (RFC 9110 §14.1.2): only the identity coding can be resumed.
      'accept-encoding': 'identity',
    };
    if (request.range !== undefined) owned.range = request.range;
    if (request.ifRange !== undefined) owned['if-range'] = request.ifRange;
    return {
      owned,
      isSameOrigin,
      originOnly: Object.keys(this.#options.headers).map((name) => name.toLowerCase()),
    };
  }

  #config(url: URL, request: ExchangeRequest, hop: { isSameOrigin: boolean; isRedirected: boolean }) {
    const headers: Record<string, string> = { accept: '*/*' };
    if (this.#options.userAgent !== undefined) headers['user-agent'] = this.#options.userAgent;
    if (hop.isSameOrigin) {
      for (const [name, value] of Object.entries(this.#options.headers)) headers[name.toLowerCase()] = value;
    }
    const { instanceAgents } = this.#options;
    const defaults = this.#axios.defaults;
    const config: AxiosRequestConfig = {
      url: url.href,
      allowAbsoluteUrls: true,
      method: request.method,
      headers,
      // URL credentials win over the instance's `auth`; off the origin, the transport drops both.
      ...(hop.isSameOrigin && this.#credentials !== undefined ? { auth: this.#credentials } : {}),
      // A redirect's Location is asked for as the server wrote it, without the instance's params.
      ...(hop.isRedirected ? { params: null } : {}),
      adapter: 'http',
      httpVersion: 1,
      socketPath: null,
      responseType: 'stream',
      decompress: false,
      transformResponse: [],
      maxRedirects: 0,
      validateStatus: () => true,
      // -1 is axios's "unlimited"; any other value (even Infinity) wraps the body in a counting generator.
      maxContentLength: -1,
      maxBodyLength: -1,
      // Falsy but defined, so the instance's defaults do not apply: either would wrap the body.
      maxRate: [0, 0],
      onDownloadProgress: null as unknown as undefined,
      insecureHTTPParser: false,
      proxy: defaults.proxy === undefined ? proxySetting(url) : undefined,
      httpAgent: instanceAgents.http ?? this.#agents?.http,
      httpsAgent: instanceAgents.https ?? this.#agents?.https,
      signal: request.signal,
    };
    return config;
  }

  async #send(
    url: URL,
    request: ExchangeRequest,
    hop: { isSameOrigin: boolean; isRedirected: boolean },
  ): Promise<IncomingMessage> {
    const policy = this.#policy(request, hop.isSameOrigin);
    let answer: IncomingMessage | undefined;
    const transport: Transport = {
      request: ((options: https.RequestOptions, callback?: (response: IncomingMessage) => void) => {
        applyWirePolicy(options, policy);
        const native = options.protocol === 'https:' ? https : http;
        const onResponse = (response: IncomingMessage) => {
          answer = response;
          // Aborted before anyone reads it, the body reports the abort as an error: never unheard.
          response.on('error', () => undefined);
          callback?.(response);
        };
        const clientRequest = (this.#instanceTransport ?? native).request(options, onResponse);
        watchConnect(clientRequest, this.#connectTimeoutMs);
        return clientRequest;
      }) as Transport['request'],
    };
    try {
      const response = await this.#axios.request<unknown>({ ...this.#config(url, request, hop), transport });
      if (answer === undefined) {
        throw new RegetError(
          ErrorCode.BAD_INPUT,
          `The axios instance answered a request to ${url.host} without sending it through its http adapter, so reget cannot vouch for the answer.`,
          { retryable: false },
        );
      }
      if (response.data !== answer || !(answer instanceof IncomingMessage)) {
        discard(answer);
        throw new RegetError(
          ErrorCode.PROTOCOL,
          `The axios instance changed the response from ${url.host} (a transform, decompression or an interceptor); reget needs the bytes as sent.`,
          { retryable: false },
        );
      }
      return answer;
    } catch (error) {
      if (answer !== undefined && !answer.destroyed && !answer.complete) answer.destroy();
      throw classifyFailure(error, url, request.signal);
    }
  }
}
