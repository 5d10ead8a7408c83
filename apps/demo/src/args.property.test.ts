import { ErrorCode } from '@reget/core';
import {
  anyText,
  componentText,
  nearValid,
  outcomeOf,
  passwordFragments,
  propertyParameters,
} from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConnections } from './args.js';

describe('parseConnections properties (-c, --connections)', () => {
  it('gives 1 to 65535 connections, or BAD_INPUT with a one-line message, for any text', () => {
    const written = fc.oneof(
      fc.integer({ min: 0, max: 70_000 }).map(String),
      fc.constant('https://host/file'),
      // What takes the URL branch and may not parse: a dash first, or a scheme before anything.
      fc
        .tuple(fc.constantFrom('-', 'https://', 'ftp://a b/'), anyText)
        .map(([start, rest]) => `${start}${rest}`),
    );
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(written)), (text) => {
        const outcome = outcomeOf(() => parseConnections(text));
        if ('error' in outcome) expect(outcome.error.code).toBe(ErrorCode.BAD_INPUT);
        else
          expect(Number.isInteger(outcome.value) && outcome.value >= 1 && outcome.value <= 65_535).toBe(true);
      }),
      propertyParameters(),
    );
  });

  it('reads back 1 to 65535, and refuses 0 and anything above 65535', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), (count) => {
        const outcome = outcomeOf(() => parseConnections(String(count)));
        if (count >= 1 && count <= 65_535) expect(outcome).toEqual({ value: count });
        else expect('error' in outcome && outcome.error.code).toBe(ErrorCode.BAD_INPUT);
      }),
      propertyParameters({ examples: [[0], [65_535], [65_536]] }),
    );
  });

  it('never shows the password of a URL given to -c by a wget or aria2 habit', () => {
    const url = fc
      .tuple(
        fc.constantFrom('https', 'ftp', 'sftp'),
        fc.stringMatching(/^[a-z]{1,8}$/),
        componentText({ minLength: 6 }),
        fc.boolean(),
      )
      .map(([scheme, user, password, isEncoded]) => {
        const written = isEncoded ? encodeURIComponent(password) : password;
        return {
          text: `${scheme}://${user}:${written}@example.com/file`,
          password,
          rest: `${scheme}://${user}:@example.com/file`,
        };
      });
    fc.assert(
      fc.property(url, ({ text, password, rest }) => {
        const outcome = outcomeOf(() => parseConnections(text), passwordFragments(text, password, rest));
        expect('error' in outcome && outcome.error.code).toBe(ErrorCode.BAD_INPUT);
      }),
      propertyParameters(),
    );
  });
});
