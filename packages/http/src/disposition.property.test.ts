import { anyText, componentText, nearValid, outcomeOf, propertyParameters } from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fileNameFromDisposition } from './disposition.js';

/** A name of printable ASCII, as `filename="…"` carries it (RFC 6266 §4.1, quoted-string). */
const asciiName = fc.stringMatching(/^[\x20-\x7e]{1,40}$/);
/** `"` and `\` escaped with a backslash, as RFC 9110 §5.6.4 quoted-pair asks. */
const quoted = (name: string) => `"${name.replace(/["\\]/g, '\\$&')}"`;
/** A name that needs no quotes: an RFC 9110 token. */
const tokenName = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,40}$/);
/** Any name at all, for `filename*` (RFC 8187): every script, emoji, separators, control characters. */
const anyName = componentText({ minLength: 1, maxLength: 40 });

const dispositionType = fc.constantFrom('attachment', 'inline', 'Attachment', 'form-data');
/** Parameters that come before the name and must not be mistaken for it. */
const otherParameter = fc.constantFrom(
  'size=123',
  'creation-date="Wed, 12 Feb 1997 16:29:51 -0500"',
  'x-note="a; filename=decoy.txt"',
  'x-quoted="with \\"escaped\\" quotes; filename=decoy2"',
  'name="field"',
);
const before = fc
  .array(otherParameter, { maxLength: 2 })
  .map((parameters) => parameters.map((p) => `; ${p}`).join(''));
const space = fc.constantFrom('', ' ', '  ');

const validHeader = fc
  .tuple(dispositionType, before, asciiName, space)
  .map(([type, others, name, gap]) => `${type}${others};${gap}filename=${quoted(name)}`);

describe('fileNameFromDisposition properties (RFC 6266, RFC 8187)', () => {
  it('returns a non-empty name or undefined for any header, and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(validHeader)), (header) => {
        const outcome = outcomeOf(() => fileNameFromDisposition(header));
        expect(outcome).not.toHaveProperty('error');
        if ('value' in outcome && outcome.value !== undefined) expect(outcome.value).not.toBe('');
      }),
      propertyParameters(),
    );
  });

  it('reads back a quoted filename, escapes and decoy parameters included, the name in any case', () => {
    const parameterName = fc.mixedCase(fc.constant('filename'));
    fc.assert(
      fc.property(
        dispositionType,
        before,
        parameterName,
        asciiName,
        space,
        (type, others, key, name, gap) => {
          expect(fileNameFromDisposition(`${type}${others};${gap}${key}=${quoted(name)}`)).toBe(name);
        },
      ),
      propertyParameters(),
    );
  });

  it('reads back a token filename, unquoted', () => {
    fc.assert(
      fc.property(dispositionType, tokenName, (type, name) => {
        expect(fileNameFromDisposition(`${type}; filename=${name}`)).toBe(name);
      }),
      propertyParameters(),
    );
  });

  it('reads back any name sent as UTF-8 filename*, which wins over filename wherever it stands', () => {
    const charset = fc.mixedCase(fc.constant('utf-8'));
    const language = fc.constantFrom('', 'en', 'de-CH');
    fc.assert(
      fc.property(
        fc.record({
          type: dispositionType,
          others: before,
          name: anyName,
          charset,
          language,
          fallback: asciiName,
          isFirst: fc.boolean(),
        }),
        ({ type, others, name, charset: set, language: tag, fallback, isFirst }) => {
          const extended = `filename*=${set}'${tag}'${encodeURIComponent(name)}`;
          const plain = `filename=${quoted(fallback)}`;
          const [one, two] = isFirst ? [extended, plain] : [plain, extended];
          expect(fileNameFromDisposition(`${type}${others}; ${one}; ${two}`)).toBe(name);
        },
      ),
      propertyParameters(),
    );
  });

  it('reads back a Latin-1 name sent as ISO-8859-1 filename*', () => {
    const latin1Name = fc.stringMatching(/^[\x20-\x7e\xa0-\xff]{1,30}$/);
    const percentEncoded = (name: string) =>
      [...name].map((char) => `%${char.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`).join('');
    fc.assert(
      fc.property(latin1Name, fc.mixedCase(fc.constant('iso-8859-1')), (name, charset) => {
        expect(fileNameFromDisposition(`attachment; filename*=${charset}''${percentEncoded(name)}`)).toBe(
          name,
        );
      }),
      propertyParameters(),
    );
  });

  it('falls back to filename when filename* does not decode', () => {
    const broken = fc.constantFrom("UTF-8''%E2%82", "UTF-8''%zz", "utf-16''%00a", 'no-quotes', "UTF-8'%41");
    fc.assert(
      fc.property(broken, asciiName, (extended, fallback) => {
        expect(
          fileNameFromDisposition(`attachment; filename*=${extended}; filename=${quoted(fallback)}`),
        ).toBe(fallback);
      }),
      propertyParameters(),
    );
  });
});
