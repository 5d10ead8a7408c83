import { connectionError, ErrorCode, notFoundError, RegetError } from '@reget/core';
import { FTPError } from 'basic-ftp';

/**
 * Where a failure happened: while connecting and logging in, during a command (SIZE, MDTM, REST,
 * opening the data connection), or after the transfer started (then a lost connection is PARTIAL).
 */
export type FtpStage = 'connect' | 'command' | 'transfer';

// Node.js and OpenSSL codes of certificate and handshake failures (tls.connect, X509_V_ERR_*).
const tlsCodePattern = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_|ALTNAME|HOSTNAME|DEPTH_ZERO|HANDSHAKE/;
// OpenSSL's reasons when the peer's first bytes are not a TLS record (a clear-text greeting).
const plainTextPeerCodes = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG']);
const plainTextPeerPattern = /wrong version number|packet length too long|unknown protocol/i;
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/**
 * Turns anything basic-ftp or a socket throws into a {@link RegetError}. Reply codes: 530 AUTH,
 * 550 NOT_FOUND (PERMISSION when the text says so), 421/425/426/450/451 retryable, 522/534 TLS.
 * Messages name the host, never a credential; the original error is kept as `cause`.
 */
export function classifyFtpError(error: unknown, stage: FtpStage, host: string, url?: string): RegetError {
  if (error instanceof RegetError) return error;
  if (error instanceof FTPError) return classifyReply(error.code, error.message, stage, host, error, url);
  const code = String((error as { code?: unknown } | undefined)?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  if (tlsCodePattern.test(code)) {
    const what = /CERT|SELF_SIGNED|UNABLE_TO_|ALTNAME|HOSTNAME|DEPTH_ZERO/.test(code)
      ? `The TLS certificate of ${host} could not be verified`
      : `The TLS handshake with ${host} failed`;
    return new RegetError(ErrorCode.TLS, `${what} (${code}).`, { cause: error });
  }
  // basic-ftp reports its inactivity timeouts as "Timeout (control socket)" / "Timeout (data socket)".
  if (code === 'ETIMEDOUT' || /\bTimeout\b/.test(message)) {
    return new RegetError(ErrorCode.TIMEOUT, `The FTP server ${host} stopped answering.`, { cause: error });
  }
  if (stage === 'transfer') {
    return new RegetError(ErrorCode.PARTIAL, `The transfer from ${host} was cut off before the end.`, {
      cause: error,
    });
  }
  if (networkCodes.has(code)) {
    return (
      connectionError(error, host) ??
      new RegetError(ErrorCode.NETWORK, `Cannot reach the FTP server ${host} (${code}).`, { cause: error })
    );
  }
  return new RegetError(ErrorCode.NETWORK, `The connection to the FTP server ${host} failed.`, {
    cause: error,
  });
}

/**
 * Whether a TLS handshake failed because the peer answered in clear text (an FTP greeting where a
 * ClientHello reply was expected): OpenSSL's "wrong version number".
 */
export function isPlainTextPeer(error: unknown): boolean {
  const code = String((error as { code?: unknown } | undefined)?.code ?? '');
  if (plainTextPeerCodes.has(code)) return true;
  return code === 'EPROTO' && error instanceof Error && plainTextPeerPattern.test(error.message);
}

/** Classifies a negative FTP reply (RFC 959 §4.2). */
export function classifyReply(
  code: number,
  text: string,
  stage: FtpStage,
  host: string,
  cause?: unknown,
  /** The file's redacted URL, for the not-found sentence every protocol shares. */
  url?: string,
): RegetError {
  const options = { cause: cause ?? new Error(text) };
  if (code === 530) {
    return new RegetError(ErrorCode.AUTH, `The FTP server ${host} refused the login (530).`, options);
  }
  if (code === 550 || code === 553) {
    if (/permission|denied|not allowed|forbidden|access/i.test(text)) {
      return new RegetError(
        ErrorCode.PERMISSION,
        `The FTP server ${host} denied access to the file (${code}).`,
        options,
      );
    }
    return notFoundError(url ?? `ftp://${host}/`, `FTP ${code}`, options.cause);
  }
  if (code === 522 || code === 533 || code === 534) {
    return new RegetError(
      ErrorCode.TLS,
      `The FTP server ${host} refused the TLS settings (${code}).`,
      options,
    );
  }
  if (code >= 400 && code < 500) {
    // 421 closing, 425 no data connection, 426 transfer aborted, 450/451 temporary local errors.
    const errorCode = stage === 'transfer' && code !== 425 ? ErrorCode.PARTIAL : ErrorCode.NETWORK;
    return new RegetError(
      errorCode,
      `The FTP server ${host} answered ${code}; the transfer can be retried.`,
      {
        ...options,
        retryable: true,
      },
    );
  }
  return new RegetError(ErrorCode.PROTOCOL, `The FTP server ${host} answered ${code} unexpectedly.`, options);
}
