import { homedir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, RegetError } from '@reget/core';
import { type HostKeyAdded, type HostKeyPolicy, normalizeFingerprint } from './host-key.js';

/** Options for {@link createSftpAdapter}. Credentials in the URL win over these. */
export interface SftpAdapterOptions {
  /** User name when the URL has none. Default: the local user name. */
  readonly username?: string | undefined;
  /** Password when the URL has none. Never printed. */
  readonly password?: string | undefined;
  /** Path of a private key file (OpenSSH or PEM format). */
  readonly identity?: string | undefined;
  /** Passphrase of the `identity` key. */
  readonly passphrase?: string | undefined;
  /**
   * ssh-agent socket path. Default: `SSH_AUTH_SOCK`, used only when neither a password nor an
   * identity is given.
   */
  readonly agent?: string | undefined;
  /** Pinned host key fingerprint(s), `SHA256:…` as `ssh-keygen -lf` prints them. Replaces known_hosts. */
  readonly hostKey?: string | readonly string[] | undefined;
  /**
   * known_hosts file(s), hashed entries included. Default `~/.ssh/known_hosts`. Ignored with
   * `hostKey`. A new key is recorded in the first one, creating it (and its folder) when missing.
   */
  readonly knownHosts?: string | readonly string[] | undefined;
  /**
   * Trust on first use: accept a host that known_hosts does not list and append its key to the
   * first known_hosts file (OpenSSH `StrictHostKeyChecking accept-new`). A changed key is still
   * refused. Default false.
   */
  readonly acceptUnknownHostKey?: boolean | undefined;
  /**
   * Called after `acceptUnknownHostKey` accepted a new host and recorded its key, so the caller can
   * tell the user (OpenSSH prints "Permanently added … to the list of known hosts").
   */
  readonly onHostKeyAdded?: ((added: HostKeyAdded) => void) | undefined;
  /** Bytes asked for by each READ request; capped at what the server accepts. Default 256 KiB. */
  readonly readRequestBytes?: number | undefined;
  /**
   * Bytes requested ahead of the reader, in READ requests kept in flight (their count grows when
   * the server caps the request size). Default 4 MiB.
   */
  readonly readAheadBytes?: number | undefined;
}

/** Read tuning after defaults. */
export interface ReadTuning {
  readonly requestBytes: number;
  readonly readAheadBytes: number;
}

/** The host key policy the options describe; throws BAD_INPUT for a malformed fingerprint. */
export function hostKeyPolicyOf(options: SftpAdapterOptions): HostKeyPolicy {
  if (options.hostKey !== undefined) {
    const given = typeof options.hostKey === 'string' ? [options.hostKey] : [...options.hostKey];
    const fingerprints = given.map((text) => {
      const fingerprint = normalizeFingerprint(text);
      if (fingerprint === undefined) {
        throw new RegetError(ErrorCode.BAD_INPUT, `The host key "${text}" is not a SHA256:… fingerprint.`);
      }
      return fingerprint;
    });
    if (fingerprints.length === 0) throw new RegetError(ErrorCode.BAD_INPUT, 'The hostKey list is empty.');
    return { kind: 'pinned', fingerprints };
  }
  const files =
    options.knownHosts === undefined
      ? [join(homedir(), '.ssh', 'known_hosts')]
      : typeof options.knownHosts === 'string'
        ? [options.knownHosts]
        : [...options.knownHosts];
  return {
    kind: 'known-hosts',
    files,
    acceptUnknown: options.acceptUnknownHostKey === true,
    onAdded: options.onHostKeyAdded,
  };
}

/** The read tuning the options describe; throws BAD_INPUT for sizes that are not positive integers. */
export function readTuningOf(options: SftpAdapterOptions): ReadTuning {
  const requestBytes = positive(options.readRequestBytes ?? 256 * 1024, 'readRequestBytes');
  const readAheadBytes = positive(options.readAheadBytes ?? 4 * 1024 * 1024, 'readAheadBytes');
  return { requestBytes, readAheadBytes };
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RegetError(ErrorCode.BAD_INPUT, `${name} must be a positive whole number of bytes.`);
  }
  return value;
}
