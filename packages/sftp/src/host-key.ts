import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, RegetError } from '@reget/core';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import {
  formatKnownHostsLine,
  type KnownHostEntry,
  knownHostsName,
  parseKnownHosts,
  readKeyType,
} from './known-hosts.js';

/** How host keys are checked: against pinned fingerprints, or against known_hosts files. */
export type HostKeyPolicy =
  | { readonly kind: 'pinned'; readonly fingerprints: readonly string[] }
  | {
      readonly kind: 'known-hosts';
      readonly files: readonly string[];
      /** Accept a host that has no entry and append its key to the first file (OpenSSH `accept-new`). */
      readonly acceptUnknown: boolean;
      /** Told after a key was accepted on first use and recorded. */
      readonly onAdded?: ((added: HostKeyAdded) => void) | undefined;
    };

/** A host key accepted on first use and appended to known_hosts (`acceptUnknownHostKey`). */
export interface HostKeyAdded {
  /** The host as known_hosts names it: `host`, or `[host]:port` off port 22. */
  readonly host: string;
  /** Key type, e.g. `ssh-ed25519`. */
  readonly keyType: string;
  /** `SHA256:…`, as `ssh-keygen -lf` prints it. */
  readonly fingerprint: string;
  /** The known_hosts file the key was added to. */
  readonly file: string;
}

/** Why a host key was refused: `details.hostKey.reason` of a HOST_KEY error (and its cause's reason). */
export type HostKeyRefusalReason = 'unknown' | 'changed' | 'revoked' | 'not-pinned';

/**
 * The `cause` of every HOST_KEY error this adapter throws: the facts a front end needs to suggest a
 * remedy (pin the fingerprint, accept a new host, remove a stale entry) without parsing the message.
 */
export class HostKeyRefusal extends Error {
  override readonly name = 'HostKeyRefusal';
  readonly reason: HostKeyRefusalReason;
  /** The host as known_hosts names it: `host`, or `[host]:port` off port 22. */
  readonly host: string;
  /** The fingerprint of the key the server presented. */
  readonly fingerprint: string;
  /** The known_hosts files consulted (none when the key was pinned). */
  readonly files: readonly string[];

  constructor(
    reason: HostKeyRefusalReason,
    host: string,
    fingerprint: string,
    files: readonly string[],
    message: string,
  ) {
    super(message);
    this.reason = reason;
    this.host = host;
    this.fingerprint = fingerprint;
    this.files = files;
  }
}

/** A host key check prepared for one connection. */
export interface HostKeyCheck {
  /** ssh2's `hostVerifier`: called with the presented key blob during key exchange, before any login. */
  readonly verify: (key: Buffer, done: (isAccepted: boolean) => void) => void;
  /** Host key algorithms to offer, known types first, or undefined for ssh2's default order. */
  readonly algorithms: readonly ServerHostKeyAlgorithm[] | undefined;
  /** Why the key was refused, once {@link HostKeyCheck.verify} has refused it. */
  refusal(): RegetError | undefined;
}

/** The OpenSSH fingerprint of a public key blob: `SHA256:` and unpadded base64. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** `SHA256:…` written as OpenSSH prints it (unpadded), or undefined when `text` is not one. */
export function normalizeFingerprint(text: string): string | undefined {
  const match = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(text.trim());
  return match ? `SHA256:${match[1]}` : undefined;
}

// ssh2's host key algorithms, strongest first (its default order).
const allAlgorithms: readonly ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * Prepares the check for `host:port`, reading known_hosts files now so that the check itself runs
 * synchronously inside the key exchange. Missing files count as empty (every host is unknown).
 */
export async function prepareHostKeyCheck(
  policy: HostKeyPolicy,
  host: string,
  port: number,
): Promise<HostKeyCheck> {
  const where = port === 22 ? host : `${host}:${port}`;
  const name = knownHostsName(host, port);
  const files = policy.kind === 'known-hosts' ? policy.files : [];
  let refusal: RegetError | undefined;
  const refuse = (
    reason: HostKeyRefusalReason,
    presented: string,
    message: string,
    done: (isAccepted: boolean) => void,
  ) => {
    const cause = new HostKeyRefusal(reason, name, presented, files, message);
    const hostKey = { reason, host: name, fingerprint: presented, files };
    refusal = new RegetError(ErrorCode.HOST_KEY, message, { cause, retryable: false, details: { hostKey } });
    done(false);
  };

  if (policy.kind === 'pinned') {
    const pinned = policy.fingerprints;
    return {
      algorithms: undefined,
      refusal: () => refusal,
      verify(key, done) {
        const presented = fingerprintOf(key);
        if (pinned.includes(presented)) return done(true);
        refuse(
          'not-pinned',
          presented,
          `The SSH host key of ${where} is ${presented}, not the pinned ${pinned.join(' or ')}; refusing to connect.`,
          done,
        );
      },
    };
  }

  const entries = (await Promise.all(policy.files.map(readKnownHosts)))
    .flat()
    .filter((entry) => entry.matches(name));
  const known = entries.filter((entry) => !entry.isRevoked);
  const knownTypes = [...new Set(known.flatMap((entry) => algorithmsOf(entry.keyType)))];
  const consulted = policy.files.join(' and ');
  return {
    // Like OpenSSH, ask for the key types already recorded so a server with several keys presents a known one.
    algorithms: knownTypes.length > 0 ? [...new Set([...knownTypes, ...allAlgorithms])] : undefined,
    refusal: () => refusal,
    verify(key, done) {
      const presented = fingerprintOf(key);
      if (entries.some((entry) => entry.isRevoked && entry.key.equals(key))) {
        return refuse(
          'revoked',
          presented,
          `The SSH host key of ${where} (${presented}) is marked revoked in ${consulted}; refusing to connect.`,
          done,
        );
      }
      if (known.some((entry) => entry.key.equals(key))) return done(true);
      if (known.length > 0) {
        const expected = known.map((entry) => fingerprintOf(entry.key)).join(' or ');
        return refuse(
          'changed',
          presented,
          `The SSH host key of ${where} has changed: the server presented ${presented}, ${consulted} has ${expected}; refusing to connect.`,
          done,
        );
      }
      const file = policy.files[0];
      if (!policy.acceptUnknown || file === undefined) {
        return refuse(
          'unknown',
          presented,
          `The SSH host key of ${where} (${presented}) is not in ${consulted || 'any known_hosts file'}.`,
          done,
        );
      }
      recordHostKey(file, name, key).then(
        () => {
          done(true);
          try {
            policy.onAdded?.({
              host: name,
              keyType: readKeyType(key) ?? 'unknown',
              fingerprint: presented,
              file,
            });
          } catch {
            // A caller's notice that fails must not fail the connection the key was recorded for.
          }
        },
        (error: unknown) => {
          refusal = fileError(error, 'record the new host key in', file);
          done(false);
        },
      );
    },
  };
}

/**
 * Appends the key to `file`, creating its folder (mode 0700, as OpenSSH wants `~/.ssh`) and the
 * file (mode 0600) when missing: a first connection on a fresh account has no `~/.ssh` yet.
 */
async function recordHostKey(file: string, name: string, key: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await appendFile(file, `${formatKnownHostsLine(name, key)}\n`, { mode: 0o600 });
}

async function readKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fileError(error, 'read', file);
  }
}

/** The host key algorithms that produce keys of a known_hosts key type. */
function algorithmsOf(keyType: string): ServerHostKeyAlgorithm[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return allAlgorithms.filter((algorithm) => algorithm === keyType);
}

function fileError(error: unknown, action: string, file: string): RegetError {
  const reason = (error as NodeJS.ErrnoException).code ?? String(error);
  return new RegetError(ErrorCode.LOCAL_IO, `Cannot ${action} ${file} (${reason}).`, { cause: error });
}
