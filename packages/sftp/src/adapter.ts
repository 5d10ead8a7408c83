import { createHash } from 'node:crypto';
import { type Adapter, ErrorCode, type OpenContext, RegetError, type Remote } from '@reget/core';
import { untilAborted } from './abort.js';
import { formatSeconds } from './connect-error.js';
import { borrow, type Connected, connect, internalsOf } from './connection.js';
import { resolveCredentials } from './credentials.js';
import { prepareHostKeyCheck } from './host-key.js';
import {
  checkConnectOptions,
  hostKeyPolicyOf,
  passedConnectOptionsOf,
  poolSettingsOf,
  readTuningOf,
  type SftpAdapterOptions,
} from './options.js';
import { type PoolSettings, SshPool } from './pool.js';
import { type ChannelSource, SftpRemote } from './remote.js';
import { parseSftpUrl, type SftpLocation } from './url.js';

/**
 * Creates the SFTP adapter (scheme `sftp`) on ssh2-sftp-client. Host keys are always verified —
 * against known_hosts (`~/.ssh/known_hosts` by default) or the pinned `hostKey` — before any
 * credential is sent; with `client`, reget reads through the caller's connected Client instead and
 * never closes it. Logged-in connections are kept for the next remote (option `pool`); `close()`
 * ends the idle ones. Throws BAD_INPUT for malformed options.
 *
 * @example
 * ```ts
 * const sftp = createSftpAdapter({ identity: '/home/me/.ssh/id_ed25519' });
 * await download({ url: 'sftp://me@example.org/~/big.iso', destination: 'big.iso', adapters: [sftp] });
 * ```
 */
export function createSftpAdapter(options: SftpAdapterOptions = {}): Adapter {
  checkConnectOptions(options);
  const { client } = options;
  if (client !== undefined && internalsOf(client) === undefined) {
    throw new RegetError(ErrorCode.BAD_INPUT, 'The client option is not an ssh2-sftp-client Client.');
  }
  const hostKeyPolicy = hostKeyPolicyOf(options);
  const passed = passedConnectOptionsOf(options);
  const tuning = readTuningOf(options);
  const connectOwn = async (location: SftpLocation, context: OpenContext): Promise<Connected> => {
    const [credentials, hostKeyCheck] = await untilAborted(
      Promise.all([
        resolveCredentials(location, options),
        prepareHostKeyCheck(hostKeyPolicy, location.host, location.port),
      ]),
      context.signal,
    );
    return connect(location, credentials, hostKeyCheck, passed, context);
  };
  const settings = client === undefined ? poolSettingsOf(options) : undefined;
  const shared = settings === undefined ? undefined : new SshPool(settings);
  return {
    name: 'sftp',
    schemes: ['sftp'],
    capabilities: { ranges: true, segments: true },
    async open(url: URL, context: OpenContext): Promise<Remote> {
      const location = parseSftpUrl(url);
      // Without a shared pool, the remote's own: its connection ends when the remote closes.
      const pool = shared ?? new SshPool(remoteScope);
      const key = poolKeyOf(location);
      const connectTo = (signal: AbortSignal): Promise<Connected> =>
        client !== undefined
          ? Promise.resolve(borrow(client, location))
          : connectOwn(location, { ...context, signal });
      const channels: ChannelSource = {
        acquire: (signal, fresh) => pool.acquire(key, connectTo, signal, fresh),
        release: (lease, outcome) => pool.release(key, lease, outcome),
        done: () => {
          if (pool !== shared) pool.close().catch(() => undefined);
        },
      };
      // connectTimeoutMs covers everything up to a usable SFTP channel, not just ssh2's handshake.
      const deadline = new AbortController();
      const timer = setTimeout(() => {
        const where = `${location.host}:${location.port}`;
        const message = `Connecting to the SFTP server at ${where} timed out after ${formatSeconds(context.connectTimeoutMs)}.`;
        deadline.abort(new RegetError(ErrorCode.TIMEOUT, message));
      }, context.connectTimeoutMs);
      const signal = AbortSignal.any([context.signal, deadline.signal]);
      try {
        return await SftpRemote.open(location, tuning, channels, signal);
      } catch (error) {
        channels.done();
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
    async close(): Promise<void> {
      await shared?.close();
    },
  };
}

/** A remote's own pool: one connection, its channels kept until the remote closes. */
const remoteScope: PoolSettings = {
  maxIdlePerHost: Number.POSITIVE_INFINITY,
  idleTimeoutMs: undefined,
  maxChannelsPerConnection: Number.POSITIVE_INFINITY,
};

/**
 * Where a pooled connection may serve a URL: the same host, port, user and URL password (hashed,
 * so that the key holds no secret). The adapter's own options are the same for every URL.
 */
function poolKeyOf(location: SftpLocation): string {
  const password =
    location.password === undefined ? '' : createHash('sha256').update(location.password).digest('hex');
  return JSON.stringify([location.host, location.port, location.username ?? null, password]);
}
