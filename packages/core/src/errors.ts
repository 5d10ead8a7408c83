/**
 * The stable error codes every reget error carries. Tests assert `code`, never message text.
 * Adapters classify protocol failures into these; core decides what to retry.
 */
export const ErrorCode = {
  /** The remote file does not exist (HTTP 404/410, FTP 550 on RETR/SIZE, SSH_FX_NO_SUCH_FILE). */
  NOT_FOUND: 'NOT_FOUND',
  /** Login refused or credentials missing (HTTP 401, FTP 530, SSH auth failure). */
  AUTH: 'AUTH',
  /** Logged in but not allowed to read (HTTP 403, SSH_FX_PERMISSION_DENIED). */
  PERMISSION: 'PERMISSION',
  /** Connection refused, reset, DNS failure, 5xx-class answers: usually retryable. */
  NETWORK: 'NETWORK',
  /** Connect, idle or low-speed timeout. Retryable. */
  TIMEOUT: 'TIMEOUT',
  /** The transfer ended before the bytes it promised arrived. Retryable; the partial is kept. */
  PARTIAL: 'PARTIAL',
  /** The remote is a different version than the bytes on disk, and restarting was refused. */
  REMOTE_CHANGED: 'REMOTE_CHANGED',
  /** The server will not serve from an offset, and restarting was refused. */
  RANGE_NOT_SUPPORTED: 'RANGE_NOT_SUPPORTED',
  /** The answer cannot be used: malformed Content-Range, a range that starts elsewhere, too many bytes. */
  PROTOCOL: 'PROTOCOL',
  /** The finished file does not match the expected checksum. */
  CHECKSUM: 'CHECKSUM',
  /** TLS certificate verification failed. */
  TLS: 'TLS',
  /** An SSH host key is unknown or differs from the pinned or known one. */
  HOST_KEY: 'HOST_KEY',
  /** A local file error: no space, no permission, a directory in the way. */
  LOCAL_IO: 'LOCAL_IO',
  /** Another process holds the lock on this destination. */
  LOCKED: 'LOCKED',
  /** The destination already exists and neither overwrite nor continue was asked for. */
  EXISTS: 'EXISTS',
  /** The caller aborted (AbortSignal, Ctrl-C). The partial and journal are kept. */
  ABORTED: 'ABORTED',
  /** Bad input: a malformed URL, an unknown scheme, a bad checksum string, a bad option. */
  BAD_INPUT: 'BAD_INPUT',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes that are worth another attempt unless an adapter says otherwise. */
const retryableByDefault: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.NETWORK,
  ErrorCode.TIMEOUT,
  ErrorCode.PARTIAL,
]);

/** Options for {@link RegetError}. */
export interface RegetErrorOptions {
  /** The original error, kept for debugging; never shown to a user by default. */
  cause?: unknown;
  /** Overrides the default retryability of the code (e.g. a 501 NETWORK answer that will never change). */
  retryable?: boolean;
  /** A server hint (Retry-After) in milliseconds before the next attempt. */
  retryAfterMs?: number;
  /** Structured facts about the failure, for programs (see {@link RegetErrorDetails}). */
  details?: RegetErrorDetails;
}

/**
 * Structured facts about a failure, so that a program never has to parse a message or dig through
 * `cause`. Adapters may add their own keys (the SFTP adapter puts a refused host key's facts here).
 */
export interface RegetErrorDetails {
  /**
   * Set when a connection could not be made at all, before the server said anything: `refused`
   * (nothing listens on that port), `host-not-found` (the name does not resolve), `unreachable`.
   * Core fails at once on `refused` and `host-not-found` while nothing was heard from the server in
   * the same download (a typo'd port or host), as curl and wget do.
   */
  readonly connectFailure?: 'refused' | 'host-not-found' | 'unreachable' | undefined;
  /** Set on HOST_KEY errors: the facts a front end needs to suggest a remedy. */
  readonly hostKey?: HostKeyDetails | undefined;
  readonly [key: string]: unknown;
}

/**
 * Why an SSH host key was refused, for a remedy (pin the fingerprint, accept a new host, remove a
 * stale known_hosts entry) without parsing the message.
 */
export interface HostKeyDetails {
  /** `unknown` host, `changed` key, `revoked` key, or a key that is `not-pinned`. */
  readonly reason: 'unknown' | 'changed' | 'revoked' | 'not-pinned';
  /** The host as known_hosts names it: `host`, or `[host]:port` off port 22. */
  readonly host: string;
  /** The fingerprint of the key the server presented (`SHA256:…`). */
  readonly fingerprint: string;
  /** The known_hosts files consulted (none when the key was pinned). */
  readonly files: readonly string[];
}

/**
 * The one error class reget throws. `message` is one sentence for a user and never holds a secret;
 * `code` is stable; `retryable` tells core whether another attempt may succeed.
 */
export class RegetError extends Error {
  override readonly name = 'RegetError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  /** Structured facts about the failure; an empty object when there are none. */
  readonly details: RegetErrorDetails;

  constructor(code: ErrorCode, message: string, options: RegetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? retryableByDefault.has(code);
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details ?? {};
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Text from a user or a server, made fit for a one-line message: control characters (line breaks,
 * ANSI escapes, C1 controls) become visible `\xNN` escapes.
 */
export function escapeControl(text: string): string {
  return text.replace(controlCharacters, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Whether `value` is a {@link RegetError}, optionally with one of the given codes. */
export function isRegetError(value: unknown, ...codes: ErrorCode[]): value is RegetError {
  return value instanceof RegetError && (codes.length === 0 || codes.includes(value.code));
}

const localCodes: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ENOENT: 'no such file or directory',
  ELOOP: 'is a symbolic link',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

/**
 * Wraps a Node.js file-system error as a LOCAL_IO {@link RegetError} whose message names the path.
 * Leaves a RegetError as it is.
 */
export function localError(error: unknown, action: string, path: string): RegetError {
  if (error instanceof RegetError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = (code && localCodes[code]) ?? (error instanceof Error ? error.message : String(error));
  return new RegetError(ErrorCode.LOCAL_IO, `Cannot ${action} ${path}: ${reason}.`, { cause: error });
}

/** Socket failures before a connection exists, worded the same for every protocol. */
const connectFailures: Record<string, { reason: string; kind?: RegetErrorDetails['connectFailure'] }> = {
  ECONNREFUSED: { reason: 'the connection was refused (is the port right?)', kind: 'refused' },
  ENOTFOUND: { reason: 'the host name does not resolve', kind: 'host-not-found' },
  EAI_AGAIN: { reason: 'the host name could not be resolved right now' },
  EHOSTUNREACH: { reason: 'the host is unreachable', kind: 'unreachable' },
  ENETUNREACH: { reason: 'the network is unreachable', kind: 'unreachable' },
  ENETDOWN: { reason: 'the network is down', kind: 'unreachable' },
  EADDRNOTAVAIL: { reason: 'the address is not available', kind: 'unreachable' },
  ECONNRESET: { reason: 'the connection was reset' },
  ECONNABORTED: { reason: 'the connection was aborted' },
  EPIPE: { reason: 'the connection was closed' },
  ETIMEDOUT: { reason: 'the connection timed out' },
};

/** The first Node.js error code in `error`'s `cause` chain that names a socket failure. */
function socketCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code in connectFailures) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The NETWORK {@link RegetError} for a connection to `where` (`host:port`) that failed at the socket
 * (refused, unresolvable, unreachable, reset), in one wording for every protocol, with
 * `details.connectFailure` set; undefined when `error` is no such failure. For adapters.
 */
export function connectionError(error: unknown, where: string): RegetError | undefined {
  const code = socketCodeOf(error);
  if (code === undefined) return undefined;
  const { reason, kind } = connectFailures[code]!;
  return new RegetError(ErrorCode.NETWORK, `Cannot connect to ${where}: ${reason}.`, {
    cause: error,
    details: { connectFailure: kind, socketCode: code },
  });
}

/**
 * The NOT_FOUND {@link RegetError} for a remote file that does not exist, in one wording for every
 * protocol: `url` is the redacted URL, `answer` what the server said (`HTTP 404`, `FTP 550`, …).
 */
export function notFoundError(url: string, answer: string, cause?: unknown): RegetError {
  return new RegetError(ErrorCode.NOT_FOUND, `${url} does not exist on the server (${answer}).`, {
    cause,
    retryable: false,
  });
}

/** Any failure as a {@link RegetError}; an abort by the caller is always ABORTED. */
export function asRegetError(error: unknown, signal: AbortSignal): RegetError {
  if (signal.aborted && !(isRegetError(error) && error.code === ErrorCode.ABORTED)) {
    return new RegetError(ErrorCode.ABORTED, 'The download was interrupted; run it again to resume.', {
      cause: error,
      retryable: false,
    });
  }
  if (isRegetError(error)) return error;
  return new RegetError(
    ErrorCode.NETWORK,
    `Unexpected failure: ${error instanceof Error ? error.message : String(error)}.`,
    {
      cause: error,
    },
  );
}

/** Whether a connection failed before any server answered: nothing listens, or no such host. */
export function isUnreachable(error: RegetError): boolean {
  const failure = error.details.connectFailure;
  return failure === 'refused' || failure === 'host-not-found';
}
