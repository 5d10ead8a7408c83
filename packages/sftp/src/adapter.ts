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
  readTuningOf,
  type SftpAdapterOptions,
} from './options.js';
import { SftpRemote } from './remote.js';
import { SftpSession } from './session.js';
import { parseSftpUrl, type SftpLocation } from './url.js';

/**
 * Creates the SFTP adapter (scheme `sftp`) on ssh2-sftp-client. Host keys are always verified —
 * against known_hosts (`~/.ssh/known_hosts` by default) or the pinned `hostKey` — before any
 * credential is sent; with `client`, reget reads through the caller's connected Client instead and
 * never closes it. Throws BAD_INPUT for malformed options.
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
  return {
    name: 'sftp',
    schemes: ['sftp'],
    capabilities: { ranges: true, segments: true },
    async open(url: URL, context: OpenContext): Promise<Remote> {
      const location = parseSftpUrl(url);
      // connectTimeoutMs covers everything up to a usable SFTP channel, not just ssh2's handshake.
      const deadline = new AbortController();
      const timer = setTimeout(() => {
        const where = `${location.host}:${location.port}`;
        const message = `Connecting to the SFTP server at ${where} timed out after ${formatSeconds(context.connectTimeoutMs)}.`;
        deadline.abort(new RegetError(ErrorCode.TIMEOUT, message));
      }, context.connectTimeoutMs);
      const signal = AbortSignal.any([context.signal, deadline.signal]);
      try {
        const { connection, sftp } =
          client !== undefined
            ? borrow(client, location)
            : await connectOwn(location, { ...context, signal });
        return new SftpRemote(connection, location, tuning, new SftpSession(sftp, connection.isBorrowed));
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
