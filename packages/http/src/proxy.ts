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
