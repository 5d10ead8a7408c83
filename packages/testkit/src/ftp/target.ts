import type { ConformanceTarget } from '../conformance/target.js';
import { type FtpServerOptions, startFtpServer } from './server.js';

/**
 * The FTP adapter's conformance target: a fresh embedded FTP server per suite, with a login
 * (`reget` / `secret` unless given) so the auth scenario runs. Pass `{ security: 'explicit' }` or
 * `{ security: 'implicit' }` to run the suite over FTPS.
 */
export function ftpConformanceTarget(options: FtpServerOptions = {}): ConformanceTarget {
  const security = options.security ?? 'none';
  const login = { user: options.user ?? 'reget', password: options.password ?? 'secret' };
  return {
    name: security === 'none' ? 'ftp' : `ftps-${security}`,
    capabilities: {
      ignoreRange: true,
      refuseRange: true,
      stall: true,
      strongValidator: false,
      segments: true,
    },
    start: () => startFtpServer({ ...options, ...login }),
  };
}
