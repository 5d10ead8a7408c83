import { ErrorCode, isRegetError, notFoundError, RegetError } from '@reget/core';
import ssh2 from 'ssh2';

const status = ssh2.utils.sftp.STATUS_CODE;

/** Where in a request an SFTP failure happened: before any byte of the body, or during it. */
export type FailurePhase = 'before-body' | 'during-body';

/**
 * Classifies an SFTP failure (draft-ietf-secsh-filexfer-02 §7 status codes, or a lost channel):
 * SSH_FX_NO_SUCH_FILE → NOT_FOUND, SSH_FX_PERMISSION_DENIED → PERMISSION (curl's mapping, FAULTS
 * SFTP-03); a lost connection → NETWORK before the body, PARTIAL during it (both retryable).
 * `connectionFailure` is why the SSH connection died, when it did.
 */
export function classifySftpError(
  error: unknown,
  displayUrl: string,
  phase: FailurePhase,
  connectionFailure: RegetError | undefined,
): RegetError {
  if (isRegetError(error)) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  switch (code) {
    case status.NO_SUCH_FILE:
      return notFoundError(displayUrl, 'SFTP no such file', error);
    case status.PERMISSION_DENIED:
      return new RegetError(ErrorCode.PERMISSION, `The SFTP server denied access to ${displayUrl}.`, {
        cause: error,
        retryable: false,
      });
    case status.OP_UNSUPPORTED:
    case status.BAD_MESSAGE:
      return new RegetError(
        ErrorCode.PROTOCOL,
        `The SFTP server could not handle a request for ${displayUrl}.`,
        {
          cause: error,
          retryable: false,
        },
      );
  }
  const reason =
    connectionFailure?.message ??
    (typeof code === 'number'
      ? `the SFTP server reported a failure (${describe(error)})`
      : 'the SFTP channel closed');
  if (phase === 'during-body') {
    return new RegetError(
      ErrorCode.PARTIAL,
      `The SFTP transfer of ${displayUrl} ended early: ${lowerFirst(reason)}`,
      {
        cause: error,
      },
    );
  }
  return new RegetError(ErrorCode.NETWORK, `Cannot read ${displayUrl}: ${lowerFirst(reason)}`, {
    cause: error,
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function lowerFirst(sentence: string): string {
  const text = sentence.endsWith('.') ? sentence : `${sentence}.`;
  return text.charAt(0).toLowerCase() + text.slice(1);
}
