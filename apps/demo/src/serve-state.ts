import { randomBytes, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHostKey, generateTestCertificate, type TestCertificate } from '@reget/testkit';

/** The made-up secrets `reget serve` runs with: one login, an SSH host key, an FTPS certificate. */
export interface ServeIdentity {
  readonly password: string;
  /** The SFTP host key (OpenSSH private key). */
  readonly hostPrivateKey: string;
  /** The FTPS certificate, also what clients pass as `--ca`. */
  readonly certificate: TestCertificate;
}

/** A certificate this close to expiry is replaced at start, so a long-lived `--state` keeps working. */
const renewBeforeMs = 60 * 60 * 1000;

/**
 * The identity for this run. With `isPersistent` (`reget serve --state <dir>`), it is read from
 * `directory` when an earlier run left one there, and written there otherwise, so the password,
 * `--host-key` and `--ca` file a user copied keep working after a restart (the certificate is
 * renewed only when it is about to expire). Without it, a fresh identity is made for every run.
 */
export async function loadServeIdentity(directory: string, isPersistent: boolean): Promise<ServeIdentity> {
  const paths = {
    password: join(directory, 'password'),
    hostKey: join(directory, 'sftp-host-key'),
    certificate: join(directory, 'ftps-ca.pem'),
    certificateKey: join(directory, 'ftps-key.pem'),
  };
  const saved = isPersistent ? await readSaved(paths) : {};
  const identity: ServeIdentity = {
    // URL-safe, so it can be typed into a URL.
    password: saved.password ?? randomBytes(9).toString('base64url'),
    hostPrivateKey: saved.hostPrivateKey ?? createHostKey('ed25519').privateKey,
    certificate:
      saved.certificate && isValidFor(saved.certificate.cert, renewBeforeMs)
        ? saved.certificate
        : await generateTestCertificate(),
  };
  await mkdir(directory, { recursive: true, mode: 0o700 });
  await chmod(directory, 0o700);
  const secret = { mode: 0o600 } as const;
  await writeFile(paths.password, `${identity.password}\n`, secret);
  await writeFile(paths.hostKey, identity.hostPrivateKey, secret);
  await writeFile(paths.certificateKey, identity.certificate.key, secret);
  // The certificate is public: it is what `--ca` points at.
  await writeFile(paths.certificate, identity.certificate.cert);
  return identity;
}

/** Where the FTPS certificate is written, for the banner's `--ca`. */
export function certificatePath(directory: string): string {
  return join(directory, 'ftps-ca.pem');
}

async function readSaved(paths: {
  readonly password: string;
  readonly hostKey: string;
  readonly certificate: string;
  readonly certificateKey: string;
}): Promise<Partial<ServeIdentity>> {
  const read = (path: string) => readFile(path, 'utf8').catch(() => undefined);
  const [password, hostPrivateKey, cert, key] = await Promise.all([
    read(paths.password),
    read(paths.hostKey),
    read(paths.certificate),
    read(paths.certificateKey),
  ]);
  return {
    password: password?.trim() || undefined,
    hostPrivateKey: hostPrivateKey || undefined,
    certificate: cert && key ? { cert, key } : undefined,
  };
}

function isValidFor(pem: string, milliseconds: number): boolean {
  try {
    return Date.parse(new X509Certificate(pem).validTo) > Date.now() + milliseconds;
  } catch {
    return false;
  }
}
