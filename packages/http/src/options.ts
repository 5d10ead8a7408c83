import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { createRequire } from 'node:module';
import { ErrorCode, RegetError } from '@reget/core';
import type { AxiosInstance, AxiosStatic } from 'axios';

// axios's CommonJS bundle (one file) rather than its ESM entry (a tree of some 60 modules): measured
// to load in about half the CPU time (135 against 245 ms on a loaded 2-core machine), which every
// HTTP download pays at start-up. The API is the same; errors are recognised by shape (failure.ts).
const axios = createRequire(import.meta.url)('axios') as AxiosStatic;

/** Options for {@link createHttpAdapter}. Every one has a safe default. */
export interface HttpAdapterOptions {
  /**
   * Your axios instance (`axios.create(…)`): every request reget makes goes through it — its
   * interceptors, default headers, `auth`, `proxy`, `httpAgent`/`httpsAgent` — with reget's own
   * settings applied per request on top (see the README). Default: an instance of reget's own,
   * `axios.create()`.
   */
  readonly axios?: AxiosInstance | undefined;
  /**
   * Extra request headers (e.g. `Authorization: Bearer …`, `Cookie`). They are sent to the origin of
   * the URL only: a redirect to another scheme, host or port drops them all (FAULTS SEC-03).
   */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Redirects followed before failing with PROTOCOL. Default 20. */
  readonly maxRedirects?: number | undefined;
  /** The User-Agent header. Default `reget/<version>`, unless the `axios` instance sets its own. */
  readonly userAgent?: string | undefined;
  /** Extra trusted CA certificates, PEM. Added for this adapter only, replacing Node's default store. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined;
  /**
   * Skip TLS certificate verification. Dangerous, and never the default: the adapter does not print,
   * so a caller that sets it must warn the user (see `HttpAdapter.isInsecure`).
   */
  readonly insecure?: boolean | undefined;
  /**
   * How long a HEAD may take to answer before the probe gives up on it and asks with
   * `GET Range: bytes=0-0` instead (FAULTS HTTP-10: some servers never answer HEAD). `0` skips HEAD
   * (e.g. for pre-signed URLs whose signature covers the method). Default 10 000.
   */
  readonly headTimeoutMs?: number | undefined;
}

/** {@link HttpAdapterOptions} with every default filled in. */
export interface ResolvedHttpOptions {
  readonly axios: AxiosInstance;
  /** The instance's own agents, used instead of reget's; undefined where it has none. */
  readonly instanceAgents: { readonly http?: HttpAgent | undefined; readonly https?: HttpsAgent | undefined };
  readonly headers: Readonly<Record<string, string>>;
  readonly maxRedirects: number;
  /** Undefined when the instance sets its own User-Agent and the option was not given. */
  readonly userAgent: string | undefined;
  readonly ca: string | Buffer | Array<string | Buffer> | undefined;
  readonly insecure: boolean;
  readonly headTimeoutMs: number;
}

const manifest = createRequire(import.meta.url)('../package.json') as { version: string };

/** `reget/<version of @reget/http>`. */
export const defaultUserAgent = `reget/${manifest.version}`;

// Headers the adapter owns: a caller's value would break resume framing or the redirect policy.
const reservedHeaders = new Set([
  'range',
  'if-range',
  'accept-encoding',
  'host',
  'content-length',
  'transfer-encoding',
]);

function badOption(message: string): RegetError {
  return new RegetError(ErrorCode.BAD_INPUT, message);
}

function nonNegativeInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0)
    throw badOption(`The ${name} option must be a whole number ≥ 0.`);
  return value;
}

function isAxiosInstance(value: unknown): value is AxiosInstance {
  const candidate = value as Partial<AxiosInstance> | null;
  return (
    typeof value === 'function' &&
    typeof candidate?.request === 'function' &&
    typeof candidate.defaults === 'object' &&
    typeof candidate.interceptors?.request?.use === 'function'
  );
}

/** Whether the instance's default headers (any method, any case) include `name`. */
function hasDefaultHeader(instance: AxiosInstance, name: string): boolean {
  const all = instance.defaults.headers as unknown as Record<string, unknown>;
  const groups = [all, all.common, all.get, all.head];
  return groups.some(
    (group) =>
      typeof group === 'object' &&
      group !== null &&
      Object.entries(group).some(([key, value]) => key.toLowerCase() === name && typeof value === 'string'),
  );
}

/** Checks the options and fills in the defaults; throws BAD_INPUT for a value that cannot work. */
export function resolveHttpOptions(options: HttpAdapterOptions = {}): ResolvedHttpOptions {
  if (options.axios !== undefined && !isAxiosInstance(options.axios)) {
    throw badOption('The axios option must be an axios instance (axios.create()).');
  }
  const instance = options.axios ?? axios.create();
  const instanceAgents = {
    http: instance.defaults.httpAgent as HttpAgent | undefined,
    https: instance.defaults.httpsAgent as HttpsAgent | undefined,
  };
  if (instanceAgents.https !== undefined && (options.ca !== undefined || options.insecure === true)) {
    // reget's TLS settings live on its own agent: silently ignoring them would be worse than refusing.
    throw badOption(
      'The ca and insecure options cannot apply to the httpsAgent of your axios instance; set them there.',
    );
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name))
      throw badOption(`"${name}" is not a valid header name.`);
    if (reservedHeaders.has(name.toLowerCase()))
      throw badOption(`The ${name} header is set by reget itself.`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
    if (/[\r\n\u0000]/.test(value)) throw badOption(`The value of the ${name} header contains a line break.`);
    headers[name] = value;
  }
  const ca = options.ca;
  const instanceVerifies = instanceAgents.https?.options.rejectUnauthorized !== false;
  return {
    axios: instance,
    instanceAgents,
    headers,
    maxRedirects: nonNegativeInteger(options.maxRedirects, 20, 'maxRedirects'),
    userAgent:
      options.userAgent ??
      (options.axios !== undefined && hasDefaultHeader(instance, 'user-agent')
        ? undefined
        : defaultUserAgent),
    ca: ca === undefined ? undefined : Array.isArray(ca) ? [...ca] : (ca as string | Buffer),
    insecure: options.insecure === true || !instanceVerifies,
    headTimeoutMs: nonNegativeInteger(options.headTimeoutMs, 10_000, 'headTimeoutMs'),
  };
}
