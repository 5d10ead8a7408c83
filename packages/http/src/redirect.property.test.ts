import { ErrorCode } from '@reget/core';
import {
  anyText,
  nearValid,
  outcomeOf,
  pathSegments,
  propertyParameters,
  urlOf,
  urlParts,
} from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redirectTarget } from './redirect.js';

const current = new URL('https://files.example.com:8443/dir/file.bin?x=1');
const host = 'files.example.com:8443';
const httpUrl = urlParts(fc.constantFrom('http', 'https', 'HTTP', 'Https')).map(urlOf);
const withFragment = fc
  .tuple(httpUrl, fc.option(fc.stringMatching(/^[a-z0-9]{0,8}$/), { nil: undefined }))
  .map(([url, fragment]) => (fragment === undefined ? url : `${url}#${fragment}`));

describe('redirectTarget properties (RFC 9110 §10.2.2, FAULTS SEC-04)', () => {
  it('ends in an http(s) URL without credentials or fragment, or PROTOCOL with a one-line message', () => {
    const location = fc.option(fc.oneof(anyText, nearValid(withFragment)), { nil: undefined });
    fc.assert(
      fc.property(location, (text) => {
        const outcome = outcomeOf(() => redirectTarget(text, current, host));
        if ('error' in outcome) {
          expect(outcome.error.code).toBe(ErrorCode.PROTOCOL);
          return;
        }
        const target = outcome.value;
        expect(['http:', 'https:']).toContain(target.protocol);
        expect(target.username + target.password + target.hash).toBe('');
      }),
      propertyParameters(),
    );
  });

  it('follows an absolute http(s) Location to its host, port and path, dropping what the server put in', () => {
    fc.assert(
      fc.property(urlParts(fc.constantFrom('http', 'https')), (parts) => {
        const target = redirectTarget(`${urlOf(parts)}#frag`, current, host);
        const expected = new URL(urlOf({ ...parts, user: undefined, password: undefined }));
        expect(target.href).toBe(expected.href);
      }),
      propertyParameters(),
    );
  });

  it('resolves an absolute-path Location against the current origin', () => {
    fc.assert(
      // An empty first segment would make `//…`, a network-path reference to another host.
      fc.property(
        pathSegments().filter((segments) => segments[0] !== ''),
        (segments) => {
          const path = `/${segments.map(encodeURIComponent).join('/')}`;
          const target = redirectTarget(path, current, host);
          expect(target.origin).toBe(current.origin);
          expect(target.pathname.split('/').slice(1).map(decodeURIComponent)).toEqual(segments);
        },
      ),
      propertyParameters(),
    );
  });

  it('refuses any scheme but http and https', () => {
    const scheme = fc.oneof(
      fc.constantFrom('ftp', 'ftps', 'sftp', 'file', 'javascript', 'data', 'ws', 'gopher'),
      fc.stringMatching(/^[a-z][a-z0-9+.-]{0,10}$/).filter((name) => name !== 'http' && name !== 'https'),
    );
    fc.assert(
      fc.property(urlParts(scheme), (parts) => {
        const outcome = outcomeOf(() => redirectTarget(urlOf(parts), current, host));
        expect('error' in outcome && outcome.error.code).toBe(ErrorCode.PROTOCOL);
      }),
      propertyParameters(),
    );
  });
});
