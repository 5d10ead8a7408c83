import { createHash } from 'node:crypto';
import { type Adapter, ErrorCode, type OpenContext, RegetError, type Remote } from '@reget/core';
import type { ConnectSettings } from './connection.js';
import { type FtpLocation, parseFtpLocation } from './location.js';
import { FtpPool, type PoolSettings } from './pool.js';
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
  /**
   * Logged-in control connections kept between the remotes this adapter opens (per host, port, TLS
   * mode, user and password), so that a queue of files logs in once per connection rather than once
   * per file. `false` logs in for every remote and closes with it. Call the adapter's `close()` when
   * done, or wait for the idle timeout. Default `{ maxIdlePerHost: 8, idleTimeoutMs: 5000 }`.
   */
  readonly pool?: FtpPoolOptions | false | undefined;
}

/** Tuning of the connection pool of {@link FtpAdapterOptions.pool}. */
export interface FtpPoolOptions {
  /**
   * Idle control connections kept per host, port, TLS mode and user. Each serves one transfer at a
   * time, so this is worth as many as the downloads (and segments) run at once. Default 8.
   */
  readonly maxIdlePerHost?: number | undefined;
  /** How long an idle connection is kept, in ms. Default 5000. */
  readonly idleTimeoutMs?: number | undefined;
}

/**
 * Creates the FTP/FTPS adapter (`ftp://`, `ftpes://` explicit TLS, `ftps://` implicit TLS on port
 * 990). It logs in with the URL's percent-decoded credentials, the options' ones, or anonymously,
 * and keeps idle logged-in control connections for the next remote on the same server (option
 * `pool`); `close()` ends them. Throws BAD_INPUT for unusable pool options.
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
  const poolSettings = poolSettingsOf(options.pool);
  const shared = poolSettings === undefined ? undefined : new FtpPool(poolSettings);
  return {
    name: 'ftp',
    schemes: ['ftp', 'ftps', 'ftpes'],
    // Segments: a control and a data connection each. A segment that stops before the end of the
    // file cannot count bytes to catch an ignored REST, so its first bytes are checked (head-check.ts).
    capabilities: { ranges: true, segments: true },
    async open(url: URL, context: OpenContext): Promise<Remote> {
      const location = parseFtpLocation(url, requireTls);
      const source = {
        // Without a shared pool, the remote's own: its connections close with the remote.
        pool: shared ?? new FtpPool({ maxIdlePerHost: Number.POSITIVE_INFINITY, idleTimeoutMs: undefined }),
        key: poolKeyOf(location),
        isOwn: shared === undefined,
      };
      return FtpRemote.open(location, settings, context.signal, context.connectTimeoutMs, source);
    },
    async close(): Promise<void> {
      await shared?.close();
    },
  };
}

function poolSettingsOf(pool: FtpPoolOptions | false | undefined): PoolSettings | undefined {
  if (pool === false) return undefined;
  return {
    maxIdlePerHost: count(pool?.maxIdlePerHost ?? 8, 'pool.maxIdlePerHost'),
    idleTimeoutMs: count(pool?.idleTimeoutMs ?? 5000, 'pool.idleTimeoutMs'),
  };
}

function count(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RegetError(ErrorCode.BAD_INPUT, `${name} must be a whole number of at least 0.`);
  }
  return value;
}

/**
 * Where a pooled connection may serve a URL: the same host, port, TLS mode, user and password
 * (hashed, so that the key holds no secret). The adapter's own options are the same for every URL.
 */
function poolKeyOf(location: FtpLocation): string {
  const password =
    location.password === undefined ? '' : createHash('sha256').update(location.password).digest('hex');
  return JSON.stringify([location.host, location.port, location.security, location.user ?? null, password]);
}
