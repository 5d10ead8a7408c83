import { createHash, createHmac, randomBytes } from 'node:crypto';
import ssh2, { type ParsedKey } from 'ssh2';

/** Key types the embedded server can generate for its host key. */
export type SftpHostKeyType = 'ed25519' | 'ecdsa' | 'rsa';

/** The public identity of a host key, in the forms tests hand to an SSH client. */
export interface SftpHostKey {
  /** The private key (OpenSSH format), to start another server with the same identity. */
  readonly privateKey: string;
  /** `SHA256:…` as `ssh-keygen -lf` prints it. */
  readonly fingerprint: string;
  /** The public key line, e.g. `ssh-ed25519 AAAA…`. */
  readonly publicKey: string;
  /**
   * A known_hosts line for `host:port` (`[host]:port` unless the port is 22); `isHashed` writes the
   * host as OpenSSH's `HashKnownHosts yes` does (`|1|salt|hmac`).
   */
  knownHostsLine(host: string, port: number, options?: { readonly isHashed?: boolean }): string;
}

/** Generates a host key, or describes the given private key. */
export function createHostKey(type: SftpHostKeyType = 'ed25519', privateKey?: string): SftpHostKey {
  const pem = privateKey ?? generatePrivateKey(type);
  const parsed = parseKey(pem);
  const blob = parsed.getPublicSSH();
  const publicKey = `${parsed.type} ${blob.toString('base64')}`;
  return {
    privateKey: pem,
    fingerprint: `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`,
    publicKey,
    knownHostsLine(host, port, options = {}) {
      const name = port === 22 ? host : `[${host}]:${port}`;
      if (!options.isHashed) return `${name} ${publicKey}`;
      const salt = randomBytes(20);
      const hash = createHmac('sha1', salt).update(name).digest();
      return `|1|${salt.toString('base64')}|${hash.toString('base64')} ${publicKey}`;
    },
  };
}

/**
 * A new private key that ssh2 can read back. ssh2 strips every leading zero byte of an ed25519
 * public key it generates, so about one key in 256 is then refused as malformed by its own parser
 * (mscdex/ssh2 issues 1390 and 1513); such a key is generated again.
 */
function generatePrivateKey(type: SftpHostKeyType): string {
  for (let attempt = 1; ; attempt++) {
    const pem = ssh2.utils.generateKeyPairSync(
      type,
      type === 'rsa' ? { bits: 2048 } : type === 'ecdsa' ? { bits: 256 } : {},
    ).private;
    if (attempt >= 16 || !(ssh2.utils.parseKey(pem) instanceof Error)) return pem;
  }
}

/** Parses an SSH key (private or public) or throws. */
export function parseKey(text: string | Buffer, passphrase?: string): ParsedKey {
  const parsed = ssh2.utils.parseKey(text, passphrase);
  if (parsed instanceof Error) throw parsed;
  return parsed;
}
