import { homedir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, escapeControl, RegetError } from '@reget/core';
import type { Algorithms } from 'ssh2';
import type SftpClient from 'ssh2-sftp-client';
import { type HostKeyAdded, type HostKeyPolicy, normalizeFingerprint } from './host-key.js';
import type { PoolSettings } from './pool.js';

/**
 * Options for {@link createSftpAdapter}. Credentials in the URL win over these. The connect options
 * carry ssh2-sftp-client's names (`username`, `password`, `privateKey`, `passphrase`, `agent`,
 * `algorithms`, `keepaliveInterval`, `keepaliveCountMax`, `debug`); host and port come from the URL.
 */
export interface SftpAdapterOptions {
  /**
   * An ssh2-sftp-client `Client` that is already connected. reget then reads through its SFTP
   * session and may open more SFTP channels on its SSH connection (closing only those); it never
   * calls `end()` on it nor drops its connection. Host, port and user in URLs are taken as given
   * (only the path is used), host keys are the caller's to have checked, and no other connect
   * option may be given. Do not `end()` it while a download runs.
   */
  readonly client?: SftpClient | undefined;
  /** User name when the URL has none. Default: the local user name. */
  readonly username?: string | undefined;
  /** Password when the URL has none. Never printed. */
  readonly password?: string | undefined;
  /** Path of a private key file (OpenSSH or PEM format). */
  readonly identity?: string | undefined;
  /** The private key itself (OpenSSH or PEM format), as ssh2-sftp-client takes it; instead of `identity`. */
  readonly privateKey?: string | Buffer | undefined;
  /** Passphrase of the `identity` or `privateKey` key. */
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
  /**
   * SSH algorithms to offer (ssh2's `algorithms`). Unless `serverHostKey` is given, the key type
   * known_hosts records for the host is asked for first.
   */
  readonly algorithms?: Algorithms | undefined;
  /** Milliseconds between SSH keepalive packets; 0 (the default) sends none. */
  readonly keepaliveInterval?: number | undefined;
  /** Unanswered keepalives before the connection counts as lost. Default 3. */
  readonly keepaliveCountMax?: number | undefined;
  /** Called with ssh2-sftp-client's and ssh2's debug messages while connecting and after. */
  readonly debug?: ((message: string) => void) | undefined;
  /** Bytes asked for by each READ request; capped at what the server accepts. Default 256 KiB. */
  readonly readRequestBytes?: number | undefined;
  /**
   * Bytes requested ahead of the reader, in READ requests kept in flight (their count grows when
   * the server caps the request size). Default 4 MiB.
   */
  readonly readAheadBytes?: number | undefined;
  /**
   * Logged-in SSH connections kept between the remotes this adapter opens (per host, port, user and
   * credentials), with their SFTP channels, so that a queue of files logs in once. `false` opens a
   * connection per remote and closes it with the remote. Call the adapter's `close()` when done, or
   * wait for the idle timeout. Default `{ maxIdlePerHost: 2, idleTimeoutMs: 5000, maxChannelsPerConnection: 8 }`.
   */
  readonly pool?: SftpPoolOptions | false | undefined;
}

/** Tuning of the connection pool of {@link SftpAdapterOptions.pool}. */
export interface SftpPoolOptions {
  /** SSH connections kept per host, port and user while no channel of theirs is in use. Default 2. */
  readonly maxIdlePerHost?: number | undefined;
  /** How long such a connection is kept, in ms. Default 5000. */
  readonly idleTimeoutMs?: number | undefined;
  /**
   * SFTP channels open at once on one SSH connection; more concurrent reads open another
   * connection. OpenSSH's sshd allows 10 (`MaxSessions`). Default 8.
   */
  readonly maxChannelsPerConnection?: number | undefined;
}

/** Read tuning after defaults. */
export interface ReadTuning {
  readonly requestBytes: number;
  readonly readAheadBytes: number;
}

/** Connect options passed to ssh2-sftp-client's `connect()` as they are. */
export interface PassedConnectOptions {
  readonly algorithms?: Algorithms;
  readonly keepaliveInterval?: number;
  readonly keepaliveCountMax?: number;
  readonly debug?: (message: string) => void;
}

/** The options passed through to ssh2-sftp-client's `connect()`, without the unset ones. */
export function passedConnectOptionsOf(options: SftpAdapterOptions): PassedConnectOptions {
  const passed: Record<string, unknown> = {};
  for (const name of ['algorithms', 'keepaliveInterval', 'keepaliveCountMax', 'debug'] as const) {
    if (options[name] !== undefined) passed[name] = options[name];
  }
  return passed as PassedConnectOptions;
}

// Everything that shapes a connection reget would open itself; none applies to a caller's client.
const connectOptionNames = [
  'username',
  'password',
  'identity',
  'privateKey',
  'passphrase',
  'agent',
  'hostKey',
  'knownHosts',
  'acceptUnknownHostKey',
  'onHostKeyAdded',
  'algorithms',
  'keepaliveInterval',
  'keepaliveCountMax',
  'debug',
] as const satisfies readonly (keyof SftpAdapterOptions)[];

/**
 * Throws BAD_INPUT when `client` is given with options only a connection of reget's own would use
 * (a pinned host key next to a connection that already exists would protect nothing), or when both
 * `identity` and `privateKey` are given.
 */
export function checkConnectOptions(options: SftpAdapterOptions): void {
  if (options.identity !== undefined && options.privateKey !== undefined) {
    throw new RegetError(ErrorCode.BAD_INPUT, 'Give either identity (a key file) or privateKey, not both.');
  }
  if (options.client === undefined) return;
  const given = connectOptionNames.filter((name) => options[name] !== undefined);
  if (given.length > 0) {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `The option client is an existing connection, so ${given.join(', ')} cannot apply to it.`,
    );
  }
}

/** The host key policy the options describe; throws BAD_INPUT for a malformed fingerprint. */
export function hostKeyPolicyOf(options: SftpAdapterOptions): HostKeyPolicy {
  if (options.hostKey !== undefined) {
    const given = typeof options.hostKey === 'string' ? [options.hostKey] : [...options.hostKey];
    const fingerprints = given.map((text) => {
      const fingerprint = normalizeFingerprint(text);
      if (fingerprint === undefined) {
        throw new RegetError(
          ErrorCode.BAD_INPUT,
          `The host key "${escapeControl(text)}" is not a SHA256:… fingerprint.`,
        );
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

/** The pool settings the options describe, or undefined with `pool: false`; throws BAD_INPUT for bad values. */
export function poolSettingsOf(options: SftpAdapterOptions): PoolSettings | undefined {
  if (options.pool === false) return undefined;
  const pool = options.pool ?? {};
  return {
    maxIdlePerHost: count(pool.maxIdlePerHost ?? 2, 'pool.maxIdlePerHost', 0),
    idleTimeoutMs: count(pool.idleTimeoutMs ?? 5000, 'pool.idleTimeoutMs', 0),
    maxChannelsPerConnection: count(pool.maxChannelsPerConnection ?? 8, 'pool.maxChannelsPerConnection', 1),
  };
}

function count(value: number, name: string, minimum: number): number {
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new RegetError(ErrorCode.BAD_INPUT, `${name} must be a whole number of at least ${minimum}.`);
  }
  return value;
}
