import { describe, expect, it } from 'vitest';
import { hasProxyEnvironment, proxySetting } from './proxy.js';

describe('hasProxyEnvironment (which requests may skip axios)', () => {
  it.each([
    [{ HTTP_PROXY: 'http://proxy:3128' }],
    [{ http_proxy: 'http://proxy:3128' }],
    [{ HTTPS_PROXY: 'http://proxy:3128' }],
    [{ https_proxy: 'proxy:3128' }],
    [{ ALL_PROXY: 'socks5://proxy:1080' }],
    [{ all_proxy: 'http://proxy:3128', NO_PROXY: '*' }],
  ])('sees a proxy in %j', (env) => {
    expect(hasProxyEnvironment(env)).toBe(true);
  });

  it.each([[{}], [{ HTTP_PROXY: '' }], [{ NO_PROXY: 'example.org' }], [{ FTP_PROXY: 'http://proxy:3128' }]])(
    'sees none in %j',
    (env) => {
      expect(hasProxyEnvironment(env)).toBe(false);
    },
  );
});

describe('proxySetting', () => {
  it('never proxies loopback, leaves the rest to the environment', () => {
    expect(proxySetting(new URL('http://127.0.0.1:8080/'))).toBe(false);
    expect(proxySetting(new URL('http://[::1]/'))).toBe(false);
    expect(proxySetting(new URL('http://localhost/'))).toBe(false);
    expect(proxySetting(new URL('https://example.org/'))).toBeUndefined();
  });
});
