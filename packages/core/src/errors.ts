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

  constructor(code: ErrorCode, message: string, options: RegetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? retryableByDefault.has(code);
    this.retryAfterMs = options.retryAfterMs;
  }
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
