import { createRequire } from 'node:module';
import { ErrorCode, RegetError } from '@reget/core';

/** Options for {@link createHttpAdapter}. Every one has a safe default. */
export interface HttpAdapterOptions {
  /**
   * Extra request headers (e.g. `Authorization: Bearer …`, `Cookie`). They are sent to the origin of
   * the URL only: a redirect to another scheme, host or port drops them all (FAULTS SEC-03).
   */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Redirects followed before failing with PROTOCOL. Default 20. */
  readonly maxRedirects?: number | undefined;
  /** The User-Agent header. Default `reget/<version>`. */
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
  readonly headers: Readonly<Record<string, string>>;
  readonly maxRedirects: number;
  readonly userAgent: string;
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

/** Checks the options and fills in the defaults; throws BAD_INPUT for a value that cannot work. */
export function resolveHttpOptions(options: HttpAdapterOptions = {}): ResolvedHttpOptions {
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
  return {
    headers,
    maxRedirects: nonNegativeInteger(options.maxRedirects, 20, 'maxRedirects'),
    userAgent: options.userAgent ?? defaultUserAgent,
    ca: ca === undefined ? undefined : Array.isArray(ca) ? [...ca] : (ca as string | Buffer),
    insecure: options.insecure === true,
    headTimeoutMs: nonNegativeInteger(options.headTimeoutMs, 10_000, 'headTimeoutMs'),
  };
}
