import type { ConformanceTarget } from '../conformance/target.js';
import { type SftpServerOptions, startSftpServer } from './server.js';

/**
 * The SFTP adapter's conformance target: a fresh embedded SFTP server per suite, with a password
 * login (so the auth scenario runs) and an adapter pinned to the server's generated host key.
 */
export function sftpConformanceTarget(options: SftpServerOptions = {}): ConformanceTarget {
  return {
    name: 'sftp',
    // SFTP reads at offsets cannot be ignored or refused, and size+mtime is a weak validator.
    capabilities: {
      ignoreRange: false,
      refuseRange: false,
      stall: true,
      strongValidator: false,
      segments: true,
    },
    start: () => startSftpServer(options),
  };
}
