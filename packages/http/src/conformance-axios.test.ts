import { httpConformanceTarget } from '@reget/testkit';
import { runConformanceSuite } from '@reget/testkit/conformance';
import { expect, it } from 'vitest';
import { hasProxyEnvironment } from './proxy.js';

// Requests go through axios only when the environment names a proxy (client.ts). Loopback is never
// proxied, so with a proxy variable set the whole suite runs on the axios path against the same
// servers. Each test file runs in its own process: this setting stays here.
process.env.HTTP_PROXY = 'http://127.0.0.1:9';
process.env.HTTPS_PROXY = 'http://127.0.0.1:9';

it('takes the axios path in this file', () => {
  expect(hasProxyEnvironment()).toBe(true);
});

runConformanceSuite({ ...httpConformanceTarget(), name: 'http via axios' });
runConformanceSuite({ ...httpConformanceTarget({ tls: true }), name: 'https via axios' });
