import { ErrorCode, type HostKeyDetails, type RegetError } from '@reget/core';
import type { Job } from './job.js';

/**
 * What the command adds to a library's failure sentence: the options and variables of *this*
 * command that fix it. Libraries state the facts (and keep the details in `cause`); only the CLI
 * knows its flags, so the remedies are worded here, from the error code and those facts.
 */

/** The sentence that replaces the library's when the CLI can say it better, or undefined. */
export function rewordedCause(job: Job | undefined, error: RegetError): string | undefined {
  switch (error.code) {
    case ErrorCode.EXISTS:
      return "a file by that name exists and is not the remote's current version; use --overwrite to replace it, or --continue to resume it as a partial download";
    case ErrorCode.LOCKED: {
      // The lock holds "pid host"; core's message names the process, which is all the CLI needs.
      const pid = /\bprocess (\d+)/.exec(error.message)?.[1];
      const holder = pid === undefined ? 'another reget' : `another reget (process ${pid})`;
      return `it is being downloaded by ${holder}; wait for it to finish`;
    }
    case ErrorCode.REMOTE_CHANGED:
      // Without --no-restart, REMOTE_CHANGED means core gave up after restarting again and again.
      return job?.isRestartRefused
        ? 'the remote file changed since the partial was fetched; run without --no-restart to start again, or with --restart'
        : undefined;
    case ErrorCode.RANGE_NOT_SUPPORTED:
      return job?.isRestartRefused
        ? 'the server cannot resume from an offset, so the partial cannot be continued; run without --no-restart to start again from zero, or with --restart'
        : undefined;
    default:
      return undefined;
  }
}

/** A remedy to append to the library's sentence (after a semicolon), or undefined. */
export function remedyFor(job: Job | undefined, error: RegetError): string | undefined {
  switch (error.code) {
    case ErrorCode.AUTH:
      return job === undefined || job.passwordSource !== undefined ? undefined : missingPasswordHint(job.url);
    case ErrorCode.TLS:
      return isCertificateFailure(error)
        ? 'to trust it, give its CA certificate with --ca <file>, or skip the check with --insecure'
        : undefined;
    case ErrorCode.HOST_KEY:
      return hostKeyHint(error.details.hostKey);
    default:
      return undefined;
  }
}

function missingPasswordHint(url: URL): string {
  if (url.protocol === 'sftp:') {
    return 'no password given: set REGET_PASSWORD, use --password-prompt, or give a key with --identity';
  }
  // REGET_PASSWORD and the prompt fill in the password of a URL that names its user.
  if (url.username !== '') return 'no password given: set REGET_PASSWORD or use --password-prompt';
  // Not written as a URL: the scrubber would take `user@` for credentials and remove it.
  return `no user or password given: put the user in the URL (user@${url.host}), and set REGET_PASSWORD or use --password-prompt`;
}

// OpenSSL's verification results and Node's host name check: what --ca or --insecure can fix.
const certificateCodePattern =
  /CERT|SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY|INVALID_CA|HOSTNAME_MISMATCH|ALTNAME/;

function isCertificateFailure(error: RegetError): boolean {
  return causesOf(error).some((cause) => {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && certificateCodePattern.test(code);
  });
}

function hostKeyHint(refusal: HostKeyDetails | undefined): string | undefined {
  switch (refusal?.reason) {
    case 'unknown':
      return `if that is the server's key, pin it with --host-key ${refusal.fingerprint}, or add it to ${refusal.files[0] ?? 'known_hosts'} with --accept-new-host-key`;
    case 'changed': {
      const file = refusal.files.length === 1 ? ` -f ${refusal.files[0]}` : '';
      return `if the key was changed on purpose, remove the old entry with ssh-keygen -R '${refusal.host}'${file} and connect again`;
    }
    default:
      return undefined;
  }
}

function causesOf(error: unknown): unknown[] {
  const causes: unknown[] = [];
  for (
    let current = (error as { cause?: unknown }).cause;
    current !== undefined && current !== null && causes.length < 8;
    current = (current as { cause?: unknown }).cause
  ) {
    causes.push(current);
  }
  return causes;
}
