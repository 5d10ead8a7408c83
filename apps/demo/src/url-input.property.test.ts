import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ErrorCode } from '@reget/core';
import {
  anyText,
  componentText,
  nearValid,
  outcomeOf,
  outcomeOfAsync,
  passwordFragments,
  propertyParameters,
  urlOf,
  urlParts,
} from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInputLine, parseUserUrl, readInputFile } from './url-input.js';

const supported = fc.constantFrom('http', 'https', 'ftp', 'ftps', 'ftpes', 'sftp');
const validUrl = urlParts(supported).map(urlOf);

/**
 * A URL with a password as people type it: encoded or raw (`/`, `@`, `#`, spaces and all), with
 * `//`, one slash or none, or no scheme at all (`alice:secret@host/x`), before a host that may not
 * parse. `rest` is the text without the password.
 */
const urlWithPassword = fc
  .record({
    prefix: fc.constantFrom('http://', 'sftp://', 'ftp:/', 'https:', 'sftp:', 'gopher://', '', ' '),
    user: fc.stringMatching(/^[a-z]{0,8}$/),
    password: componentText({ minLength: 6, maxLength: 20 }),
    isEncoded: fc.boolean(),
    host: fc.constantFrom('example.com', 'ho st', 'host:port', '[::1', '', 'localhost:8080'),
    path: fc.constantFrom('/file.bin', '', '/a b'),
  })
  .map(({ prefix, user, password, isEncoded, host, path }) => {
    const written = isEncoded ? encodeURIComponent(password) : password;
    return {
      text: `${prefix}${user}:${written}@${host}${path}`,
      password,
      rest: `${prefix}${user}:@${host}${path}`,
    };
  });

describe('parseUserUrl properties (URLs on the command line and in -i files)', () => {
  it('ends in a URL reget handles or BAD_INPUT with a one-line message for any text', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(validUrl)), (text) => {
        const outcome = outcomeOf(() => parseUserUrl(text));
        if ('error' in outcome) {
          expect(outcome.error.code).toBe(ErrorCode.BAD_INPUT);
          return;
        }
        expect(['http:', 'https:', 'ftp:', 'ftps:', 'ftpes:', 'sftp:']).toContain(outcome.value.protocol);
        expect(outcome.value.hostname).not.toBe('');
      }),
      propertyParameters(),
    );
  });

  it('reads back the host, port, credentials and path of a URL built from them', () => {
    fc.assert(
      fc.property(urlParts(supported), (parts) => {
        const url = parseUserUrl(urlOf(parts));
        expect(url.hostname.replace(/^\[(.*)\]$/, '$1')).toBe(parts.host);
        expect(decodeURIComponent(url.username)).toBe(parts.user ?? '');
        expect(decodeURIComponent(url.password)).toBe(parts.password ?? '');
        expect(url.pathname.split('/').slice(1).map(decodeURIComponent)).toEqual(parts.segments);
      }),
      propertyParameters(),
    );
  });

  it('refuses a port above 65535', () => {
    fc.assert(
      fc.property(urlParts(supported), fc.integer({ min: 65_536, max: 2 ** 32 }), (parts, port) => {
        const outcome = outcomeOf(() => parseUserUrl(urlOf({ ...parts, port })));
        expect('error' in outcome && outcome.error.code).toBe(ErrorCode.BAD_INPUT);
      }),
      propertyParameters(),
    );
  });

  it('never shows a password it refuses, typed in any of those ways', () => {
    fc.assert(
      fc.property(urlWithPassword, ({ text, password, rest }) => {
        const secrets = passwordFragments(text, password, rest);
        outcomeOf(() => parseUserUrl(text), secrets);
        outcomeOf(() => parseInputLine({ text, where: 'urls.txt:3' }), secrets);
      }),
      propertyParameters(),
    );
  });
});

describe('readInputFile properties (-i)', () => {
  /** A line of an input file: a URL, a comment, blank, or anything, with spaces around. */
  const line = fc
    .tuple(
      fc.oneof(
        validUrl,
        fc.constant(''),
        fc.constant('# a comment'),
        anyText.filter((text) => !/[\r\n]/.test(text)),
      ),
      fc.constantFrom('', ' ', '\t'),
    )
    .map(([text, space]) => `${space}${text}${space}`);

  it('lists every line that is not blank or a comment, trimmed, with its line number', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        async (lines, end) => {
          const content = lines.join(end);
          const outcome = await outcomeOfAsync(() => readInputFile('-', Readable.from([content])));
          const expected = lines.flatMap((text, index) => {
            const trimmed = text.trim();
            return trimmed === '' || trimmed.startsWith('#')
              ? []
              : [{ text: trimmed, where: `-:${index + 1}` }];
          });
          expect(outcome).toEqual({ value: expected });
        },
      ),
      propertyParameters(),
    );
  });

  it('refuses a file it cannot read with BAD_INPUT on one line, whatever its name', async () => {
    // One name under a directory that does not exist: no generated name can reach a real file.
    const missing = join(tmpdir(), 'reget-property-no-such-directory');
    const fileName = anyText.map((text) => text.replace(/[/\\]/g, '_'));
    await fc.assert(
      fc.asyncProperty(fileName, async (name) => {
        const outcome = await outcomeOfAsync(() => readInputFile(join(missing, name), Readable.from([])));
        expect('error' in outcome && outcome.error.code).toBe(ErrorCode.BAD_INPUT);
      }),
      propertyParameters(),
    );
  });

  it('names the file and line of a bad URL on one line', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 5 }), async (lines) => {
        const entries = await readInputFile('-', Readable.from([lines.join('\n')]));
        for (const entry of entries) {
          const outcome = outcomeOf(() => parseInputLine(entry));
          if ('error' in outcome) expect(outcome.error.message.startsWith(`${entry.where}: `)).toBe(true);
        }
      }),
      propertyParameters(),
    );
  });
});
