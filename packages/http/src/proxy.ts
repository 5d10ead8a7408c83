import { isIP } from 'node:net';

/** Whether `hostname` (as in URL.hostname) names this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6)
    return host === '::1' || host === '0:0:0:0:0:0:0:1' || /^::ffff:(127\.|7f)/.test(host);
  return false;
}

/**
 * The axios `proxy` setting for a URL: `false` (never proxy) for loopback addresses, as Go's
 * net/http and most browsers do, otherwise undefined so axios applies HTTP_PROXY / HTTPS_PROXY /
 * ALL_PROXY and NO_PROXY from the environment (through proxy-from-env).
 */
export function proxySetting(url: URL): false | undefined {
  return isLoopbackHost(url.hostname) ? false : undefined;
}

// The variables that can make a request go through a proxy: proxy-from-env (axios) reads
// `<scheme>_proxy` and `all_proxy`, lower case first, and Node's own NODE_USE_ENV_PROXY the same names.
const proxyVariables = ['http_proxy', 'https_proxy', 'all_proxy'];

/**
 * Whether the environment names any proxy. When it does not, no request can be proxied, and the
 * client sends it with Node's http/https directly instead of loading axios, whose ~4 MiB of heap
 * pushed the CLI past V8's threshold for full GCs during a fast download (see client.ts).
 */
export function hasProxyEnvironment(env: NodeJS.ProcessEnv = process.env): boolean {
  return proxyVariables.some((name) => Boolean(env[name] || env[name.toUpperCase()]));
}
