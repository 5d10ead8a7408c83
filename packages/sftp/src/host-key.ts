import { createHash } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { ErrorCode, RegetError } from '@reget/core';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { formatKnownHostsLine, type KnownHostEntry, knownHostsName, parseKnownHosts } from './known-hosts.js';

/** How host keys are checked: against pinned fingerprints, or against known_hosts files. */
export type HostKeyPolicy =
  | { readonly kind: 'pinned'; readonly fingerprints: readonly string[] }
  | {
      readonly kind: 'known-hosts';
      readonly files: readonly string[];
      /** Accept a host that has no entry and append its key to the first file (OpenSSH `accept-new`). */
      readonly acceptUnknown: boolean;
    };

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
  let refusal: RegetError | undefined;
  const refuse = (message: string, done: (isAccepted: boolean) => void) => {
    refusal = new RegetError(ErrorCode.HOST_KEY, message, { retryable: false });
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
          `The SSH host key of ${where} is ${presented}, not the pinned ${pinned.join(' or ')}; refusing to connect.`,
          done,
        );
      },
    };
  }

  const name = knownHostsName(host, port);
  const entries = (await Promise.all(policy.files.map(readKnownHosts)))
    .flat()
    .filter((entry) => entry.matches(name));
  const known = entries.filter((entry) => !entry.isRevoked);
  const knownTypes = [...new Set(known.flatMap((entry) => algorithmsOf(entry.keyType)))];
  return {
    // Like OpenSSH, ask for the key types already recorded so a server with several keys presents a known one.
    algorithms: knownTypes.length > 0 ? [...new Set([...knownTypes, ...allAlgorithms])] : undefined,
    refusal: () => refusal,
    verify(key, done) {
      const presented = fingerprintOf(key);
      if (entries.some((entry) => entry.isRevoked && entry.key.equals(key))) {
        return refuse(`The SSH host key of ${where} (${presented}) is marked revoked in known_hosts.`, done);
      }
      if (known.some((entry) => entry.key.equals(key))) return done(true);
      if (known.length > 0) {
        const expected = known.map((entry) => fingerprintOf(entry.key)).join(' or ');
        return refuse(
          `The SSH host key of ${where} has changed: the server presented ${presented}, known_hosts has ${expected}; refusing to connect.`,
          done,
        );
      }
      const file = policy.files[0];
      if (!policy.acceptUnknown || file === undefined) {
        return refuse(
          `The SSH host key of ${where} is not in known_hosts (the server presented ${presented}); add it there or pin it.`,
          done,
        );
      }
      appendFile(file, `${formatKnownHostsLine(name, key)}\n`, { mode: 0o600 }).then(
        () => done(true),
        (error: unknown) => {
          refusal = fileError(error, 'record the new host key in', file);
          done(false);
        },
      );
    },
  };
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
