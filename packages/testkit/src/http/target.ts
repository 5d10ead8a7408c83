import type { ConformanceTarget } from '../conformance/target.js';
import { type HttpServerOptions, startHttpServer } from './server.js';

/**
 * The HTTP adapter's conformance target: a fresh embedded server (HTTPS with `tls`) that requires
 * basic auth (so the auth scenario runs), and an adapter configured to reach it.
 */
export function httpConformanceTarget(options: HttpServerOptions = {}): ConformanceTarget {
  const auth = options.auth ?? { username: 'reget', password: 'conformance' };
  return {
    name: options.tls ? 'https' : 'http',
    capabilities: {
      ignoreRange: true,
      refuseRange: false,
      stall: true,
      strongValidator: true,
      segments: true,
    },
    start: () => startHttpServer({ ...options, auth }),
  };
}
