import {
  anyText,
  componentText,
  nearValid,
  outcomeOf,
  passwordFragments,
  propertyParameters,
  urlOf,
  urlParts,
} from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from './errors.js';
import { fileNameFromUrl, parseUrl, redactUrl, safeFileName } from './url.js';

const scheme = fc.constantFrom('http', 'https', 'ftp', 'ftps', 'ftpes', 'sftp');
const defaultPorts: Record<string, number> = { http: 80, https: 443, ftp: 21 };
const validUrl = urlParts(scheme).map(urlOf);

/** Ways to make a URL unparseable around its credentials: a space in the host, a bad port, no host. */
const brokenHost = fc.constantFrom(
  'ho st',
  'host:port',
  'host:99999',
  '[::1',
  '',
  'a b:1',
  '%zz',
  'h\u0000st',
);

/**
 * A URL with a password in every spelling a user may type: percent-encoded or raw (raw may hold
 * `/`, `@`, `:`, spaces), with or without `//`, before a host that may not parse. `rest` is the
 * text without the password, to tell a leak from a coincidence.
 */
const urlWithPassword = fc
  .record({
    scheme,
    slashes: fc.constantFrom('//', '//', '/', '', '\\\\'),
    user: fc.stringMatching(/^[a-z]{0,8}$/),
    password: componentText({ minLength: 6, maxLength: 20 }),
    isEncoded: fc.boolean(),
    host: fc.oneof(brokenHost, fc.constant('example.com')),
    path: fc.constantFrom('/file.bin', '/a b', '', '/x@y', '?q=1'),
  })
  .map(({ scheme: name, slashes, user, password, isEncoded, host, path }) => {
    const written = isEncoded ? encodeURIComponent(password) : password;
    const prefix = `${name}:${slashes}${user}:`;
    const suffix = `@${host}${path}`;
    return { text: `${prefix}${written}${suffix}`, password, rest: `${prefix}${suffix}` };
  });

describe('parseUrl properties', () => {
  it('ends in a URL or BAD_INPUT with a one-line message for any text', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(validUrl)), (text) => {
        const outcome = outcomeOf(() => parseUrl(text));
        if ('error' in outcome) expect(outcome.error.code).toBe(ErrorCode.BAD_INPUT);
      }),
      propertyParameters(),
    );
  });

  it('reads back the scheme, credentials, host, port and path a URL was built from', () => {
    fc.assert(
      fc.property(urlParts(scheme), (parts) => {
        const url = parseUrl(urlOf(parts));
        expect(url.protocol).toBe(`${parts.scheme}:`);
        expect(decodeURIComponent(url.username)).toBe(parts.user ?? '');
        expect(decodeURIComponent(url.password)).toBe(parts.password ?? '');
        expect(url.hostname.replace(/^\[(.*)\]$/, '$1')).toBe(parts.host);
        // WHATWG URL leaves out a special scheme's default port.
        const port = url.port === '' ? defaultPorts[parts.scheme] : Number(url.port);
        expect(port).toBe(parts.port ?? defaultPorts[parts.scheme]);
        expect(url.pathname.split('/').slice(1).map(decodeURIComponent)).toEqual(parts.segments);
      }),
      propertyParameters(),
    );
  });

  it('refuses a port above 65535 as BAD_INPUT', () => {
    const bigPort = fc.oneof(fc.integer({ min: 65_536, max: 2 ** 32 }), fc.constant(10 ** 15));
    fc.assert(
      fc.property(urlParts(scheme), bigPort, (parts, port) => {
        const outcome = outcomeOf(() => parseUrl(urlOf({ ...parts, port })));
        expect('error' in outcome && outcome.error.code).toBe(ErrorCode.BAD_INPUT);
      }),
      propertyParameters(),
    );
  });

  it('never puts a password, or any four characters of it, in its message', () => {
    fc.assert(
      fc.property(urlWithPassword, ({ text, password, rest }) => {
        outcomeOf(() => parseUrl(text), passwordFragments(text, password, rest));
      }),
      propertyParameters(),
    );
  });
});

describe('redactUrl properties', () => {
  it('never returns the password of a URL, parseable or not', () => {
    fc.assert(
      fc.property(urlWithPassword, ({ text, password, rest }) => {
        const redacted = redactUrl(text);
        for (const fragment of passwordFragments(text, password, rest))
          expect(redacted).not.toContain(fragment);
      }),
      propertyParameters(),
    );
  });

  it('returns text for any input', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(validUrl)), (text) => {
        const outcome = outcomeOf(() => redactUrl(text));
        expect('value' in outcome && typeof outcome.value).toBe('string');
      }),
      propertyParameters(),
    );
  });

  it('is stable for a URL: redacting a redacted URL changes nothing (the journal compares them)', () => {
    const parseable = fc
      .oneof(
        validUrl,
        urlWithPassword.map(({ text }) => text),
      )
      .filter((text) => URL.canParse(text));
    fc.assert(
      fc.property(parseable, (text) => {
        const once = redactUrl(text);
        expect(redactUrl(once)).toBe(once);
      }),
      propertyParameters(),
    );
  });
});

describe('safeFileName properties (FAULTS SEC-01)', () => {
  const hostileName = fc.oneof(
    anyText,
    fc
      .array(fc.oneof(componentText(), fc.constantFrom('..', '.', '%2e%2e', '%2F', '%5C', '/', '\\')), {
        maxLength: 6,
      })
      .map((parts) => parts.join('')),
    // Longer than the 255 a name is cut to, with a run of spaces or dots where the cut may fall.
    fc
      .tuple(
        componentText({ minLength: 1 }),
        fc.integer({ min: 200, max: 300 }),
        fc.constantFrom(' ', '.', ' .'),
        fc.integer({ min: 1, max: 200 }),
      )
      .map(
        ([start, at, run, length]) => `${start}${'x'.repeat(at)}`.slice(0, at) + run.repeat(length) + start,
      ),
  );

  it('returns undefined or one base name that cannot leave the directory or hide', () => {
    fc.assert(
      fc.property(hostileName, (name) => {
        const safe = safeFileName(name);
        if (safe === undefined) return;
        // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
        expect(safe).not.toMatch(/[/\\:*?"<>|\u0000-\u001f\u007f-\u009f]/);
        expect(safe.startsWith('.')).toBe(false);
        expect(safe.trim()).toBe(safe);
        expect(safe.length).toBeGreaterThan(0);
        expect(safe.length).toBeLessThanOrEqual(255);
        expect(safe).not.toMatch(/^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i);
      }),
      propertyParameters(),
    );
  });

  it('keeps a plain name as it is', () => {
    const plain = fc
      .stringMatching(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,40}[A-Za-z0-9]$/)
      .filter((name) => !/^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i.test(name));
    fc.assert(
      fc.property(plain, (name) => {
        expect(safeFileName(name)).toBe(name);
        expect(fileNameFromUrl(new URL(`https://host/dir/${encodeURIComponent(name)}`))).toBe(name);
      }),
      propertyParameters(),
    );
  });
});
