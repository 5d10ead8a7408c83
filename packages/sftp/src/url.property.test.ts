import { ErrorCode } from '@reget/core';
import {
  anyText,
  componentText,
  nearValid,
  outcomeOf,
  propertyParameters,
  secretFragments,
  urlOf,
  urlParts,
} from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSftpUrl } from './url.js';

/** SFTP URL parts, their path home-relative (`/~/…`) half the time. */
const sftpParts = fc
  .tuple(urlParts(fc.constant('sftp')), fc.boolean())
  .map(([parts, isHomeRelative]) =>
    isHomeRelative ? { ...parts, segments: ['~', ...parts.segments] } : parts,
  );

const anySftpUrl = fc
  .oneof(
    nearValid(sftpParts.map(urlOf)),
    anyText.map((text) => `sftp://${text}`),
  )
  .filter((text) => URL.canParse(text))
  .map((text) => new URL(text));

describe('parseSftpUrl properties (curl rules, FAULTS SFTP-03)', () => {
  it('ends in a location or BAD_INPUT with a one-line message for any URL', () => {
    fc.assert(
      fc.property(anySftpUrl, (url) => {
        const outcome = outcomeOf(() => parseSftpUrl(url));
        if ('error' in outcome) {
          expect(outcome.error.code).toBe(ErrorCode.BAD_INPUT);
          return;
        }
        const location = outcome.value;
        expect(location.host).not.toBe('');
        expect(location.path).not.toContain('\0');
        expect(location.path === '' || location.path.endsWith('/')).toBe(false);
        expect(new URL(location.displayUrl).password).toBe('');
      }),
      propertyParameters(),
    );
  });

  it('reads back host, port, credentials and path: absolute, or relative to home after /~/', () => {
    fc.assert(
      fc.property(sftpParts, (parts) => {
        const [first, ...rest] = parts.segments;
        const path = first === '~' ? rest.join('/') : `/${parts.segments.join('/')}`;
        const outcome = outcomeOf(() => parseSftpUrl(new URL(urlOf(parts))));
        if (path === '' || path.endsWith('/') || path.includes('\0')) {
          // A directory, or a NUL byte no SFTP server can take: refused, never guessed at.
          expect('error' in outcome && outcome.error.code).toBe(ErrorCode.BAD_INPUT);
          return;
        }
        expect(outcome).toEqual({
          value: {
            host: parts.host,
            port: parts.port ?? 22,
            username: parts.user,
            password: parts.password,
            path,
            displayUrl: expect.any(String),
          },
        });
      }),
      propertyParameters(),
    );
  });

  it('keeps a first element that is more than ~ literal (curl CVE-2023-27534)', () => {
    const tilded = componentText({ minLength: 1 })
      .filter((text) => !text.includes('\0') && !text.includes('/'))
      .map((text) => `~${text}`);
    fc.assert(
      fc.property(tilded, (first) => {
        const url = new URL(`sftp://host/${encodeURIComponent(first)}/file.bin`);
        expect(parseSftpUrl(url).path).toBe(`/${first}/file.bin`);
      }),
      propertyParameters(),
    );
  });

  it('never shows the password, whatever else is wrong with the URL', () => {
    const broken = fc
      .tuple(sftpParts, fc.string({ minLength: 6 }), fc.constantFrom('/', '/%00', '/a%zz', '', '%E0%A4%A'))
      .map(([parts, password, tail]) => ({ parts: { ...parts, password }, tail }));
    fc.assert(
      fc.property(broken, fc.constantFrom('sftp', 'ftp', 'ssh'), ({ parts, tail }, scheme) => {
        const text = `${urlOf({ ...parts, scheme })}${tail}`;
        const rest = `${urlOf({ ...parts, scheme, password: undefined })}${tail}`;
        if (!URL.canParse(text)) return;
        outcomeOf(() => parseSftpUrl(new URL(text)), secretFragments(parts.password, rest));
      }),
      propertyParameters(),
    );
  });
});
