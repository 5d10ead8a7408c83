import { anyText, nearValid, outcomeOf, propertyParameters } from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ChecksumAlgorithm, parseChecksum } from './checksum.js';
import { ErrorCode } from './errors.js';

const hexLengths: Record<ChecksumAlgorithm, number> = { sha256: 64, sha512: 128, sha1: 40, md5: 32 };
const algorithm = fc.constantFrom(...(Object.keys(hexLengths) as ChecksumAlgorithm[]));
const hexDigits = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: length, maxLength: length });

/** A checksum as a user may write it: any case, `:` or `=`, spaces around. */
const written = algorithm.chain((name) =>
  fc.record({
    algorithm: fc.constant(name),
    name: fc.mixedCase(fc.constant(name)),
    separator: fc.constantFrom(':', '='),
    hex: hexDigits(hexLengths[name]),
    padding: fc.constantFrom('', ' ', '  ', '\t'),
  }),
);
const writtenText = written.map(
  ({ name, separator, hex, padding }) => `${padding}${name}${separator}${hex}${padding}`,
);

describe('parseChecksum properties', () => {
  it('ends in a checksum or BAD_INPUT with a one-line message for any text', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(writtenText)), (text) => {
        const outcome = outcomeOf(() => parseChecksum(text));
        if ('error' in outcome) {
          expect(outcome.error.code).toBe(ErrorCode.BAD_INPUT);
          return;
        }
        // Whatever is accepted is a known algorithm with exactly its number of lower-case hex digits.
        const { algorithm: name, hex } = outcome.value;
        expect(Object.keys(hexLengths)).toContain(name);
        expect(hex).toMatch(new RegExp(`^[0-9a-f]{${hexLengths[name]}}$`));
      }),
      propertyParameters(),
    );
  });

  it('reads back the algorithm and the digits, in lower case, however they were written', () => {
    fc.assert(
      fc.property(written, ({ algorithm: name, name: spelled, separator, hex, padding }) => {
        expect(parseChecksum(`${padding}${spelled}${separator}${hex}${padding}`)).toEqual({
          algorithm: name,
          hex: hex.toLowerCase(),
        });
      }),
      propertyParameters(),
    );
  });

  it('refuses a digest one digit too short or too long, or with a digit that is not hex', () => {
    const broken = written.chain(({ algorithm: name, hex }) =>
      fc.oneof(
        fc.constant(`${name}:${hex.slice(1)}`),
        fc.constant(`${name}:${hex}0`),
        fc
          .tuple(fc.nat(hex.length - 1), fc.constantFrom('g', 'x', ' ', '-', 'é', '０'))
          .map(([at, digit]) => `${name}:${hex.slice(0, at)}${digit}${hex.slice(at + 1)}`),
      ),
    );
    fc.assert(
      fc.property(broken, (text) => {
        const outcome = outcomeOf(() => parseChecksum(text));
        expect('error' in outcome && outcome.error.code).toBe(ErrorCode.BAD_INPUT);
      }),
      propertyParameters(),
    );
  });

  it('refuses any algorithm name it does not verify', () => {
    const unknownName = fc
      .oneof(
        fc.stringMatching(/^[A-Za-z0-9]{1,12}$/),
        // Names an object lookup would find on any object, and near misses of real algorithms.
        fc.constantFrom(
          'constructor',
          '__proto__',
          'toString',
          'hasOwnProperty',
          'sha',
          'sha384',
          'sha3',
          'md4',
        ),
      )
      .filter((name) => !Object.hasOwn(hexLengths, name.toLowerCase()));
    fc.assert(
      fc.property(unknownName, hexDigits(64), (name, hex) => {
        const outcome = outcomeOf(() => parseChecksum(`${name}:${hex}`));
        expect('error' in outcome && outcome.error.code).toBe(ErrorCode.BAD_INPUT);
      }),
      propertyParameters(),
    );
  });
});
