import { type ErrorCode, RegetError } from '@reget/core';

/**
 * The exit codes of the `reget` command, documented in `--help` and the README. Scripts rely on
 * them, so a value here never changes meaning.
 */
export const ExitCode = {
  /** Every file is complete (including "already complete"). */
  SUCCESS: 0,
  /** A bug: an error reget did not classify. `--debug` shows the stack. */
  INTERNAL: 1,
  /** Usage or bad input: a malformed URL, an unknown scheme, a bad option value. */
  USAGE: 2,
  /** A local file error: missing directory, no space, no permission, locked, a file exists that is not the remote's. */
  LOCAL: 3,
  /** The network failed and retries ran out (refused, reset, timeout, cut short). */
  NETWORK: 4,
  /** The peer's identity could not be verified (TLS certificate, SSH host key). */
  IDENTITY: 5,
  /** Authentication failed. */
  AUTH: 6,
  /** The remote said no: not found, permission denied, a protocol error, no ranges when required. */
  REMOTE: 7,
  /** Integrity: the checksum did not match, or the remote changed and restarting was refused. */
  INTEGRITY: 8,
  /** Interrupted (Ctrl-C, SIGTERM); everything downloaded so far is kept for the next run. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const exitCodeByErrorCode: Record<ErrorCode, ExitCode> = {
  BAD_INPUT: ExitCode.USAGE,
  LOCAL_IO: ExitCode.LOCAL,
  LOCKED: ExitCode.LOCAL,
  EXISTS: ExitCode.LOCAL,
  NETWORK: ExitCode.NETWORK,
  TIMEOUT: ExitCode.NETWORK,
  PARTIAL: ExitCode.NETWORK,
  TLS: ExitCode.IDENTITY,
  HOST_KEY: ExitCode.IDENTITY,
  AUTH: ExitCode.AUTH,
  NOT_FOUND: ExitCode.REMOTE,
  PERMISSION: ExitCode.REMOTE,
  PROTOCOL: ExitCode.REMOTE,
  RANGE_NOT_SUPPORTED: ExitCode.REMOTE,
  CHECKSUM: ExitCode.INTEGRITY,
  REMOTE_CHANGED: ExitCode.INTEGRITY,
  ABORTED: ExitCode.INTERRUPTED,
};

/** The exit code for a failure: its RegetError code's, or INTERNAL for anything unclassified. */
export function exitCodeFor(error: unknown): ExitCode {
  return error instanceof RegetError ? exitCodeByErrorCode[error.code] : ExitCode.INTERNAL;
}

/**
 * The exit code of a run over several files: INTERRUPTED if the run was interrupted, otherwise the
 * highest code, so the most specific failure wins (integrity over remote over auth … over success).
 */
export function worstExitCode(codes: Iterable<number>): number {
  let worst: number = ExitCode.SUCCESS;
  for (const code of codes) {
    if (code === ExitCode.INTERRUPTED) return ExitCode.INTERRUPTED;
    worst = Math.max(worst, code);
  }
  return worst;
}
