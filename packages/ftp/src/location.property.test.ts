import { ErrorCode } from '@reget/core';
import {
  anyText,
  nearValid,
  outcomeOf,
  propertyParameters,
  secretFragments,
  type UrlParts,
  urlOf,
  urlParts,
} from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFtpLocation } from './location.js';

const scheme = fc.constantFrom('ftp', 'ftps', 'ftpes', 'FTP', 'Ftps');
const security = { ftp: 'none', ftps: 'implicit', ftpes: 'explicit' } as const;
const defaultPort = { none: 21, explicit: 21, implicit: 990 } as const;
// CR, LF and NUL are refused (they would inject FTP commands); every other character reads back.
const isCommandSafe = (parts: UrlParts) => !parts.segments.some((segment) => /[\r\n\0]/.test(segment));
const ftpParts = urlParts(scheme).filter(isCommandSafe);

/** Text that parses as a URL: near-valid FTP URLs, and any text after `ftp://`. */
const anyFtpUrl = fc
  .oneof(
    nearValid(ftpParts.map(urlOf)),
    anyText.map((text) => `ftp://${text}`),
  )
  .filter((text) => URL.canParse(text))
  .map((text) => new URL(text));

describe('parseFtpLocation properties (RFC 1738 §3.2)', () => {
  it('ends in a location or BAD_INPUT with a one-line message for any URL', () => {
    fc.assert(
      fc.property(anyFtpUrl, fc.boolean(), (url, requireTls) => {
        const outcome = outcomeOf(() => parseFtpLocation(url, requireTls));
        if ('error' in outcome) {
          expect(outcome.error.code).toBe(ErrorCode.BAD_INPUT);
          return;
        }
        const location = outcome.value;
        expect(location.host).not.toBe('');
        expect(location.path).not.toMatch(/[\r\n\0]/);
        expect(Number.isInteger(location.port) && location.port >= 0 && location.port <= 65_535).toBe(true);
        expect(new URL(location.displayUrl).username + new URL(location.displayUrl).password).toBe('');
      }),
      propertyParameters(),
    );
  });

  it('reads back host, port, security, credentials and the decoded path a URL was built from', () => {
    fc.assert(
      fc.property(ftpParts, fc.boolean(), (parts, requireTls) => {
        const location = parseFtpLocation(new URL(urlOf(parts)), requireTls);
        const asked = security[parts.scheme.toLowerCase() as keyof typeof security];
        const effective = asked === 'none' && requireTls ? 'explicit' : asked;
        expect(location).toEqual({
          host: parts.host,
          port: parts.port ?? defaultPort[effective],
          security: effective,
          path: parts.segments.join('/'),
          user: parts.user,
          password: parts.password,
          displayUrl: expect.any(String),
        });
      }),
      propertyParameters(),
    );
  });

  it('refuses a path with CR, LF or NUL anywhere, which would inject FTP commands', () => {
    const injected = fc
      .tuple(ftpParts, fc.constantFrom('\r', '\n', '\0', '\r\nDELE x'), fc.nat(), fc.nat())
      .map(([parts, injection, which, at]) => {
        const segments = [...parts.segments];
        const index = which % segments.length;
        // By code point, so that a surrogate pair stays whole.
        const characters = [...segments[index]!];
        characters.splice(at % (characters.length + 1), 0, injection);
        segments[index] = characters.join('');
        return { ...parts, segments };
      });
    fc.assert(
      fc.property(injected, (parts) => {
        const outcome = outcomeOf(() => parseFtpLocation(new URL(urlOf(parts)), false));
        expect('error' in outcome && outcome.error.code).toBe(ErrorCode.BAD_INPUT);
      }),
      propertyParameters(),
    );
  });

  it('never shows the password, whatever else is wrong with the URL', () => {
    const broken = fc
      .tuple(ftpParts, fc.string({ minLength: 6 }), fc.constantFrom('/', '/%E0%A4%A', '/%0D%0A', '/a%zz', ''))
      .map(([parts, password, tail]) => ({ parts: { ...parts, password }, tail }));
    fc.assert(
      fc.property(broken, fc.constantFrom('ftp', 'http', 'ftps'), ({ parts, tail }, name) => {
        const text = `${urlOf({ ...parts, scheme: name })}${tail}`;
        const rest = `${urlOf({ ...parts, scheme: name, password: undefined })}${tail}`;
        if (!URL.canParse(text)) return;
        outcomeOf(() => parseFtpLocation(new URL(text), false), secretFragments(parts.password, rest));
      }),
      propertyParameters(),
    );
  });
});
