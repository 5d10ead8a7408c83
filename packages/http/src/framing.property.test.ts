import { ErrorCode } from '@reget/core';
import { anyText, nearValid, outcomeOf, propertyParameters } from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContentLength, parseContentRange, parseUnsatisfiedRange } from './framing.js';

const belowMaximum = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 1 });
/** first ≤ last < total, every one a safe integer. */
const validRange = fc.tuple(belowMaximum, belowMaximum, belowMaximum).map((values) => {
  const [first, last, beforeTotal] = values.sort((a, b) => a - b) as [number, number, number];
  return { first, last, total: beforeTotal + 1 };
});

/** `bytes first-last/total` as servers write it: the unit in any case, spaces or tabs, `*` totals. */
const header = fc
  .record({
    range: validRange,
    unit: fc.mixedCase(fc.constant('bytes')),
    space: fc.constantFrom(' ', '\t', '  '),
    isTotalKnown: fc.boolean(),
    padding: fc.constantFrom('', ' ', '\t'),
  })
  .map(({ range, unit, space, isTotalKnown, padding }) => ({
    expected: { ...range, total: isTotalKnown ? range.total : undefined },
    text: `${padding}${unit}${space}${range.first}-${range.last}/${isTotalKnown ? range.total : '*'}${padding}`,
  }));

const tooLarge = fc.bigInt({ min: BigInt(Number.MAX_SAFE_INTEGER) + 1n, max: 10n ** 25n });

describe('parseContentRange properties (RFC 9110 §14.4)', () => {
  it('ends in a range or PROTOCOL with a one-line message for any text', () => {
    fc.assert(
      fc.property(
        fc.option(fc.oneof(anyText, nearValid(header.map(({ text }) => text))), { nil: undefined }),
        (text) => {
          const outcome = outcomeOf(() => parseContentRange(text));
          if ('error' in outcome) {
            expect(outcome.error.code).toBe(ErrorCode.PROTOCOL);
            return;
          }
          // Whatever is accepted can be recombined: ordered, inside the total, safe integers.
          const { first, last, total } = outcome.value;
          expect(Number.isSafeInteger(first) && Number.isSafeInteger(last)).toBe(true);
          expect(first).toBeLessThanOrEqual(last);
          if (total !== undefined) expect(last).toBeLessThan(total);
        },
      ),
      propertyParameters(),
    );
  });

  it('reads back first, last and total from the header built from them', () => {
    fc.assert(
      fc.property(header, ({ text, expected }) => {
        expect(parseContentRange(text)).toEqual(expected);
      }),
      propertyParameters(),
    );
  });

  it('refuses a range whose end is before its start, or at or past the total', () => {
    const ordered = fc
      .tuple(fc.maxSafeNat(), fc.maxSafeNat(), fc.maxSafeNat())
      .map((values) => values.sort((a, b) => a - b));
    const impossible = fc.oneof(
      // Reversed: `bytes b-a/c` with a < b.
      ordered.filter(([a, b]) => a < b).map(([a, b, c]) => ({ first: b, last: a, total: c })),
      // At or past the total: `bytes a-c/b` with b ≤ c, and the edge `bytes a-b/b` itself.
      ordered.map(([a, b, c]) => ({ first: a, last: c, total: b })),
      validRange.map(({ first, total }) => ({ first, last: total, total })),
    );
    fc.assert(
      fc.property(impossible, ({ first, last, total }) => {
        const outcome = outcomeOf(() => parseContentRange(`bytes ${first}-${last}/${total}`));
        expect('error' in outcome && outcome.error.code).toBe(ErrorCode.PROTOCOL);
      }),
      propertyParameters(),
    );
  });

  it('refuses a position above 2^53 - 1, another unit, or a sign', () => {
    const refused = fc.oneof(
      fc.tuple(validRange, tooLarge, fc.nat(2)).map(([range, big, where]) => {
        const values: (number | bigint)[] = [range.first, range.last, range.total];
        values[where] = big;
        return `bytes ${values[0]}-${values[1]}/${values[2]}`;
      }),
      fc
        .tuple(validRange, fc.constantFrom('items', 'byte', 'bits', 'none', ''))
        .map(([{ first, last, total }, unit]) => `${unit} ${first}-${last}/${total}`),
      validRange.map(({ first, last, total }) => `bytes -${first}-${last}/${total}`),
      validRange.map(({ first, last, total }) => `bytes ${first}-+${last}/${total}`),
    );
    fc.assert(
      fc.property(refused, (text) => {
        const outcome = outcomeOf(() => parseContentRange(text));
        expect('error' in outcome && outcome.error.code).toBe(ErrorCode.PROTOCOL);
      }),
      propertyParameters(),
    );
  });
});

describe('parseUnsatisfiedRange properties (RFC 9110 §15.5.17)', () => {
  it('returns a safe integer or undefined for any text, and never throws', () => {
    const unsatisfied = fc.maxSafeNat().map((total) => `bytes */${total}`);
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(unsatisfied)), (text) => {
        const outcome = outcomeOf(() => parseUnsatisfiedRange(text));
        expect(outcome).not.toHaveProperty('error');
        const total = 'value' in outcome ? outcome.value : undefined;
        if (total !== undefined) expect(Number.isSafeInteger(total) && total >= 0).toBe(true);
      }),
      propertyParameters(),
    );
  });

  it('reads back the complete length of `bytes */N`', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.mixedCase(fc.constant('bytes')), (total, unit) => {
        expect(parseUnsatisfiedRange(`${unit} */${total}`)).toBe(total);
      }),
      propertyParameters(),
    );
  });

  it('gives undefined for a length above 2^53 - 1', () => {
    fc.assert(
      fc.property(tooLarge, (total) => {
        expect(parseUnsatisfiedRange(`bytes */${total}`)).toBeUndefined();
      }),
      propertyParameters(),
    );
  });
});

describe('parseContentLength properties (RFC 9110 §8.6)', () => {
  it('ends in a length, undefined or PROTOCOL with a one-line message for any text', () => {
    const list = fc
      .array(fc.maxSafeNat(), { minLength: 1, maxLength: 3 })
      .map((lengths) => lengths.join(', '));
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(list)), (text) => {
        const outcome = outcomeOf(() => parseContentLength(text));
        if ('error' in outcome) expect(outcome.error.code).toBe(ErrorCode.PROTOCOL);
        else expect(Number.isSafeInteger(outcome.value)).toBe(true);
      }),
      propertyParameters(),
    );
  });

  it('reads back a length, alone or repeated in a list', () => {
    fc.assert(
      fc.property(
        fc.maxSafeNat(),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(',', ', ', ' ,'),
        (length, times, comma) => {
          expect(parseContentLength(Array(times).fill(String(length)).join(comma))).toBe(length);
        },
      ),
      propertyParameters(),
    );
  });

  it('refuses a list of different lengths, a sign or a length above 2^53 - 1', () => {
    const refused = fc.oneof(
      fc
        .tuple(fc.maxSafeNat(), fc.maxSafeNat())
        .filter(([a, b]) => a !== b)
        .map(([a, b]) => `${a}, ${b}`),
      fc.maxSafeNat().map((length) => `-${length}`),
      fc.maxSafeNat().map((length) => `+${length}`),
      tooLarge.map(String),
    );
    fc.assert(
      fc.property(refused, (text) => {
        const outcome = outcomeOf(() => parseContentLength(text));
        expect('error' in outcome && outcome.error.code).toBe(ErrorCode.PROTOCOL);
      }),
      propertyParameters(),
    );
  });
});
