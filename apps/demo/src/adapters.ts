import { type Adapter, ErrorCode, RegetError } from '@reget/core';
import type { HostKeyAdded } from '@reget/sftp';

/**
 * Chooses and loads protocol adapters by URL scheme. Each adapter package is imported only when a
 * URL needs it, so `reget --help` and HTTP downloads never load ssh2 (CONVENTIONS, Dependencies).
 */

/** Settings from the command line, each used by the adapters it concerns. */
export interface AdapterSettings {
  /** Extra HTTP request headers (`-H`). */
  readonly headers: Readonly<Record<string, string>>;
  /** Skip TLS certificate verification (HTTPS, FTPS). The CLI warns when set. */
  readonly isInsecure: boolean;
  /** Extra trusted CA certificates, PEM (`--ca`). */
  readonly ca: Buffer | undefined;
  readonly userAgent: string;
  /** SSH private key path (`--identity`). */
  readonly identity: string | undefined;
  /** Passphrase of that key (REGET_KEY_PASSPHRASE). */
  readonly passphrase: string | undefined;
  /** SSH password when the URL has none (REGET_PASSWORD or the prompt). */
  readonly password: string | undefined;
  /** known_hosts path (`--known-hosts`); the SFTP adapter defaults to ~/.ssh/known_hosts. */
  readonly knownHosts: string | undefined;
  /** Pinned host key fingerprint `SHA256:…` (`--host-key`). */
  readonly hostKey: string | undefined;
  /** Trust a host known_hosts does not list, and remember it (`--accept-new-host-key`). */
  readonly acceptsNewHostKey: boolean;
  /** Told when `--accept-new-host-key` recorded a host key, for the "permanently added" line. */
  readonly onHostKeyAdded?: ((added: HostKeyAdded) => void) | undefined;
}

type AdapterLoader = (settings: AdapterSettings) => Promise<Adapter>;

const loadHttp: AdapterLoader = async (settings) => {
  const { createHttpAdapter } = await importAdapter('http', () => import('@reget/http'));
  return createHttpAdapter({
    headers: settings.headers,
    insecure: settings.isInsecure,
    userAgent: settings.userAgent,
    ca: settings.ca,
  });
};

const loadFtp: AdapterLoader = async (settings) => {
  const { createFtpAdapter } = await importAdapter('ftp', () => import('@reget/ftp'));
  return createFtpAdapter({ insecure: settings.isInsecure, ca: settings.ca });
};

const loadSftp: AdapterLoader = async (settings) => {
  const { createSftpAdapter } = await importAdapter('sftp', () => import('@reget/sftp'));
  return createSftpAdapter({
    identity: settings.identity,
    passphrase: settings.passphrase,
    password: settings.password,
    knownHosts: settings.knownHosts,
    hostKey: settings.hostKey,
    acceptUnknownHostKey: settings.acceptsNewHostKey,
    onHostKeyAdded: settings.onHostKeyAdded,
  });
};

const loaderByScheme: Readonly<Record<string, AdapterLoader>> = {
  http: loadHttp,
  https: loadHttp,
  ftp: loadFtp,
  ftps: loadFtp,
  ftpes: loadFtp,
  sftp: loadSftp,
};

/** The URL schemes reget handles, lower case, without the colon. */
export const supportedSchemes: readonly string[] = Object.keys(loaderByScheme);

/** The scheme of `url`, lower case, without the colon. */
export function schemeOf(url: URL): string {
  return url.protocol.replace(/:$/, '').toLowerCase();
}

/** Throws BAD_INPUT when reget has no adapter for the scheme of `url`. */
export function assertSupportedScheme(url: URL, displayUrl: string): void {
  if (!(schemeOf(url) in loaderByScheme)) {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `Unsupported URL scheme "${schemeOf(url)}:" in ${displayUrl}; reget handles ${supportedSchemes.join(', ')}.`,
    );
  }
}

/** Loads one adapter for each protocol family the URLs use, and no other. */
export async function loadAdapters(urls: readonly URL[], settings: AdapterSettings): Promise<Adapter[]> {
  const loaders = new Set<AdapterLoader>();
  for (const url of urls) {
    const loader = loaderByScheme[schemeOf(url)];
    if (loader) loaders.add(loader);
  }
  return Promise.all([...loaders].map((load) => load(settings)));
}

async function importAdapter<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    throw new Error(
      `The ${name} adapter (@reget/${name}) could not be loaded; is reget built and installed?`,
      {
        cause,
      },
    );
  }
}
