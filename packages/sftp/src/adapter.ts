import { type Adapter, ErrorCode, type OpenContext, RegetError, type Remote } from '@reget/core';
import { untilAborted } from './abort.js';
import { connect, formatSeconds } from './connection.js';
import { resolveCredentials } from './credentials.js';
import { prepareHostKeyCheck } from './host-key.js';
import { hostKeyPolicyOf, readTuningOf, type SftpAdapterOptions } from './options.js';
import { SftpRemote } from './remote.js';
import { SftpSession } from './session.js';
import { parseSftpUrl } from './url.js';

/**
 * Creates the SFTP adapter (scheme `sftp`). Host keys are always verified — against known_hosts
 * (`~/.ssh/known_hosts` by default) or the pinned `hostKey` — before any credential is sent.
 * Throws BAD_INPUT for malformed options.
 *
 * @example
 * ```ts
 * const sftp = createSftpAdapter({ identity: '/home/me/.ssh/id_ed25519' });
 * await download({ url: 'sftp://me@example.org/~/big.iso', destination: 'big.iso', adapters: [sftp] });
 * ```
 */
export function createSftpAdapter(options: SftpAdapterOptions = {}): Adapter {
  const hostKeyPolicy = hostKeyPolicyOf(options);
  const tuning = readTuningOf(options);
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
        const [credentials, hostKeyCheck] = await untilAborted(
          Promise.all([
            resolveCredentials(location, options),
            prepareHostKeyCheck(hostKeyPolicy, location.host, location.port),
          ]),
          signal,
        );
        const connection = await connect(location, credentials, hostKeyCheck, { ...context, signal });
        try {
          const sftp = await connection.openSftp(signal);
          return new SftpRemote(connection, location, tuning, new SftpSession(sftp));
        } catch (error) {
          connection.close();
          throw error;
        }
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
