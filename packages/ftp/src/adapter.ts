import type { Adapter, OpenContext, Remote } from '@reget/core';
import type { ConnectSettings } from './connection.js';
import { parseFtpLocation } from './location.js';
import { FtpRemote } from './remote.js';

/** Options for {@link createFtpAdapter}. Everything is optional. */
export interface FtpAdapterOptions {
  /**
   * Extra certificate authorities (PEM) trusted for FTPS, in addition to Node's bundled roots —
   * e.g. a self-signed server certificate. Certificates are verified on the control and every
   * data connection.
   */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined;
  /**
   * Accept any certificate (no verification at all). Default false. Only for testing: the caller
   * should warn the user, since anyone on the path can then read and change the download.
   */
  readonly insecure?: boolean | undefined;
  /** Use explicit TLS (AUTH TLS) for plain `ftp://` URLs too, failing when the server refuses it. Default false. */
  readonly requireTls?: boolean | undefined;
  /** User name when the URL has none. Default: anonymous. */
  readonly user?: string | undefined;
  /** Password for {@link FtpAdapterOptions.user}. Never printed. */
  readonly password?: string | undefined;
  /**
   * Longest wait, in ms, for a reply on the control connection or for progress on a running
   * transfer before the attempt fails with TIMEOUT. Default 60 000.
   */
  readonly idleTimeoutMs?: number | undefined;
}

/**
 * Creates the FTP/FTPS adapter (`ftp://`, `ftpes://` explicit TLS, `ftps://` implicit TLS on port
 * 990). Each attempt opens its own control connection and logs in with the URL's percent-decoded
 * credentials, the options' ones, or anonymously.
 */
export function createFtpAdapter(options: FtpAdapterOptions = {}): Adapter {
  const settings: ConnectSettings = {
    ca: options.ca,
    insecure: options.insecure ?? false,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    user: options.user,
    password: options.password,
  };
  const requireTls = options.requireTls ?? false;
  return {
    name: 'ftp',
    schemes: ['ftp', 'ftps', 'ftpes'],
    // Segments: a control and a data connection each. A segment that stops before the end of the
    // file cannot count bytes to catch an ignored REST, so its first bytes are checked (head-check.ts).
    capabilities: { ranges: true, segments: true },
    async open(url: URL, context: OpenContext): Promise<Remote> {
      const location = parseFtpLocation(url, requireTls);
      return FtpRemote.open(location, settings, context.signal, context.connectTimeoutMs);
    },
  };
}
