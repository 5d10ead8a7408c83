import { connectionError, ErrorCode, RegetError } from '@reget/core';

/** Destroys a request whose TCP connect or TLS handshake took longer than the connect timeout. */
export class ConnectTimeout extends Error {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`Connect timeout after ${seconds(timeoutMs)}.`);
    this.timeoutMs = timeoutMs;
  }
}

// OpenSSL verification results and Node's TLS errors (tls.connect, checkServerIdentity).
const tlsCodes = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

// OpenSSL's words when the peer's first bytes are not a TLS record: a plain-text server (HTTP, a
// banner) on the port. Node reports them as EPROTO with the OpenSSL reason in the message.
const notTlsPattern = /wrong version number|packet length too long|unknown protocol/i;

/** Every error in a `cause` chain, outermost first (axios wraps Node's errors). */
function chain(error: unknown): unknown[] {
  const errors: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && errors.length < 8 && !errors.includes(current)) {
    errors.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return errors;
}

function codesOf(error: unknown): string[] {
  return chain(error)
    .map((item) => (item as { code?: unknown }).code)
    .filter((code): code is string => typeof code === 'string');
}

// axios.isAxiosError's own test, which also holds for an instance from another copy of axios.
function isAxiosError(error: unknown): error is Error & { code?: string; cause?: unknown } {
  return (
    typeof error === 'object' && error !== null && (error as { isAxiosError?: unknown }).isAxiosError === true
  );
}

/**
 * The cause worth keeping: an axios error carries its request config, Authorization header included,
 * so only the Node.js error inside it (or a plain copy of its code and message) is kept.
 */
function safeCause(error: unknown): unknown {
  if (!isAxiosError(error)) return error;
  if (error.cause !== undefined) return error.cause;
  return Object.assign(new Error(error.message), { code: error.code });
}

/**
 * The error to throw once `signal` has aborted: its reason when that is already a RegetError (core's
 * idle watchdog aborts with TIMEOUT), otherwise ABORTED.
 */
export function abortError(signal: AbortSignal): RegetError {
  const reason: unknown = signal.reason;
  if (reason instanceof RegetError) return reason;
  return new RegetError(ErrorCode.ABORTED, 'The transfer was aborted.', { cause: reason });
}

/** `host:port` of a URL, the port always named (core's wording for connection failures). */
export function hostAndPort(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/**
 * Classifies a failure of the transport (no HTTP status to go by) into a RegetError: TLS verification
 * is TLS and final (the message names the OpenSSL reason, which the cause also carries as `code`);
 * a server that does not speak TLS at all (https:// to a plain HTTP port) is final PROTOCOL; a
 * connect timeout is TIMEOUT; a parse error of Node's strict HTTP parser (header flood, bad
 * Content-Length — FAULTS SEC-07, HTTP-08) is PROTOCOL; a socket failure (refused, unresolvable,
 * unreachable, reset) is core's `connectionError`, with `details.connectFailure`; the rest is
 * retryable NETWORK.
 */
export function classifyFailure(failure: unknown, url: URL, signal: AbortSignal): RegetError {
  if (failure instanceof RegetError) return failure;
  const host = url.host;
  if (signal.aborted) return abortError(signal);
  const error = safeCause(failure);
  const timeout = chain(error).find((item) => item instanceof ConnectTimeout);
  if (timeout instanceof ConnectTimeout) {
    return new RegetError(
      ErrorCode.TIMEOUT,
      `Could not connect to ${host} within ${seconds(timeout.timeoutMs)}.`,
      { cause: error },
    );
  }
  const codes = codesOf(error);
  if (isNotTls(error, codes)) {
    // An https:// URL aimed at a plain HTTP port: asking again will not make the server speak TLS.
    return new RegetError(
      ErrorCode.PROTOCOL,
      `${host} did not answer with TLS; if it is a plain HTTP port, use http:// instead of https://.`,
      { cause: error, retryable: false },
    );
  }
  const certificateCode = codes.find((code) => tlsCodes.has(code));
  if (certificateCode !== undefined) {
    return new RegetError(
      ErrorCode.TLS,
      `The TLS certificate of ${host} could not be verified (${certificateCode}).`,
      { cause: error, retryable: false },
    );
  }
  if (codes.some((code) => code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) {
    return new RegetError(ErrorCode.TLS, `The TLS handshake with ${host} failed (${tlsCode(codes)}).`, {
      cause: error,
      retryable: false,
    });
  }
  if (codes.some((code) => code.startsWith('HPE_'))) {
    return new RegetError(ErrorCode.PROTOCOL, `${host} sent a malformed or oversized HTTP response.`, {
      cause: error,
      retryable: false,
    });
  }
  if (codes.includes('ETIMEDOUT')) {
    return new RegetError(ErrorCode.TIMEOUT, `The connection to ${host} timed out.`, { cause: error });
  }
  const connection = connectionError(error, hostAndPort(url));
  if (connection !== undefined) return connection;
  return new RegetError(ErrorCode.NETWORK, `Could not reach ${host}: the connection failed.`, {
    cause: error,
  });
}

function isNotTls(error: unknown, codes: readonly string[]): boolean {
  if (codes.includes('ERR_SSL_WRONG_VERSION_NUMBER') || codes.includes('ERR_SSL_PACKET_LENGTH_TOO_LONG')) {
    return true;
  }
  return (
    codes.includes('EPROTO') &&
    chain(error).some((item) => item instanceof Error && notTlsPattern.test(item.message))
  );
}

function tlsCode(codes: readonly string[]): string {
  return codes.find((code) => code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) ?? 'TLS error';
}

/** `30000` → `30 s`, `2500` → `2.5 s`: timeouts are given to people in seconds. */
function seconds(milliseconds: number): string {
  return `${Number((milliseconds / 1000).toFixed(3))} s`;
}
