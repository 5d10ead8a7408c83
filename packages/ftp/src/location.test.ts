import { ErrorCode, isRegetError } from '@reget/core';
import { describe, expect, it } from 'vitest';
import { parseFtpLocation } from './location.js';

function badInput(url: string): unknown {
  try {
    parseFtpLocation(new URL(url), false);
  } catch (error) {
    return error;
  }
  throw new Error('expected BAD_INPUT');
}

describe('parseFtpLocation', () => {
  it('reads the path relative to the login directory (RFC 1738)', () => {
    const location = parseFtpLocation(new URL('ftp://example.org/dir/file.bin'), false);
    expect(location).toMatchObject({ host: 'example.org', port: 21, security: 'none', path: 'dir/file.bin' });
    expect(location.user).toBeUndefined();
  });

  it('makes a path absolute with a leading %2F', () => {
    expect(parseFtpLocation(new URL('ftp://example.org/%2Fpub/file.bin'), false).path).toBe('/pub/file.bin');
  });

  it('percent-decodes each segment', () => {
    expect(parseFtpLocation(new URL('ftp://example.org/a%20b/c%25d.bin'), false).path).toBe('a b/c%d.bin');
  });

  it('maps ftps to implicit TLS on port 990 and ftpes to explicit TLS on port 21', () => {
    expect(parseFtpLocation(new URL('ftps://example.org/f'), false)).toMatchObject({
      security: 'implicit',
      port: 990,
    });
    expect(parseFtpLocation(new URL('ftpes://example.org/f'), false)).toMatchObject({
      security: 'explicit',
      port: 21,
    });
    expect(parseFtpLocation(new URL('ftps://example.org:2990/f'), false).port).toBe(2990);
  });

  it('upgrades ftp:// to explicit TLS when TLS is required', () => {
    expect(parseFtpLocation(new URL('ftp://example.org/f'), true).security).toBe('explicit');
  });

  it('percent-decodes credentials and keeps them out of the display URL', () => {
    const location = parseFtpLocation(new URL('ftp://us%40er:p%3Ass%2Fw%20rd@example.org/f'), false);
    expect(location.user).toBe('us@er');
    expect(location.password).toBe('p:ss/w rd');
    expect(location.displayUrl).toBe('ftp://example.org/f');
  });

  it('strips the brackets of an IPv6 host', () => {
    expect(parseFtpLocation(new URL('ftp://[::1]:2121/f'), false)).toMatchObject({ host: '::1', port: 2121 });
  });

  it('refuses a URL that names no file', () => {
    expect(isRegetError(badInput('ftp://example.org/'), ErrorCode.BAD_INPUT)).toBe(true);
    expect(isRegetError(badInput('ftp://example.org/dir/'), ErrorCode.BAD_INPUT)).toBe(true);
  });

  it('refuses CR, LF and NUL, which would inject FTP commands', () => {
    expect(isRegetError(badInput('ftp://example.org/f%0D%0ADELE%20x'), ErrorCode.BAD_INPUT)).toBe(true);
    expect(isRegetError(badInput('ftp://example.org/f%00'), ErrorCode.BAD_INPUT)).toBe(true);
  });

  it('refuses a malformed escape without echoing the password', () => {
    const error = badInput('ftp://user:hunter2@example.org/%E0%A4%A');
    expect(isRegetError(error, ErrorCode.BAD_INPUT)).toBe(true);
    expect(String((error as Error).message)).not.toContain('hunter2');
  });

  it('refuses other schemes', () => {
    expect(isRegetError(badInput('http://example.org/f'), ErrorCode.BAD_INPUT)).toBe(true);
  });
});
