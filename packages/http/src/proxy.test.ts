import { describe, expect, it } from 'vitest';
import { isLoopbackHost, proxySetting } from './proxy.js';

describe('proxySetting', () => {
  it('never proxies loopback, leaves the rest to the environment', () => {
    expect(proxySetting(new URL('http://127.0.0.1:8080/'))).toBe(false);
    expect(proxySetting(new URL('http://[::1]/'))).toBe(false);
    expect(proxySetting(new URL('http://localhost/'))).toBe(false);
    expect(proxySetting(new URL('https://example.org/'))).toBeUndefined();
  });

  it.each(['127.0.0.2', '[::ffff:127.0.0.1]', 'a.localhost'])('counts %s as loopback', (host) => {
    expect(isLoopbackHost(new URL(`http://${host}/`).hostname)).toBe(true);
  });

  it.each(['128.0.0.1', 'localhost.example.org', '[::2]'])('does not count %s as loopback', (host) => {
    expect(isLoopbackHost(new URL(`http://${host}/`).hostname)).toBe(false);
  });
});
