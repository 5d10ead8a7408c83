import { anyText, nearValid, outcomeOf, propertyParameters } from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseByteCount } from './parse.js';

const safeCount = fc.maxSafeNat();
const digits = safeCount.map(String);

describe('parseByteCount properties (FAULTS SEC-08)', () => {
  it('returns a safe, non-negative integer or undefined for any text, and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(digits)), (text) => {
        const outcome = outcomeOf(() => parseByteCount(text));
        // Its contract has no error at all: unusable text is undefined.
        expect(outcome).not.toHaveProperty('error');
        const count = 'value' in outcome ? outcome.value : undefined;
        if (count === undefined) return;
        expect(Number.isSafeInteger(count) && count >= 0).toBe(true);
        // Only plain ASCII digits are read: what came back is what was written, leading zeros aside.
        expect(text).toMatch(/^[0-9]+$/);
        expect(BigInt(text)).toBe(BigInt(count));
      }),
      propertyParameters(),
    );
  });

  it('reads back every safe integer written in decimal, with or without leading zeros', () => {
    fc.assert(
      fc.property(safeCount, fc.nat(15), (count, zeros) => {
        const text = String(count);
        expect(parseByteCount(text)).toBe(count);
        const padded = '0'.repeat(Math.max(0, Math.min(zeros, 16 - text.length))) + text;
        expect(parseByteCount(padded)).toBe(count);
      }),
      propertyParameters(),
    );
  });

  it('refuses signs, padding, fractions, exponents and anything above 2^53 - 1', () => {
    const tooLarge = fc
      .bigInt({ min: BigInt(Number.MAX_SAFE_INTEGER) + 1n, max: 10n ** 30n })
      .map((value) => value.toString());
    const decorated = fc
      .tuple(digits, fc.constantFrom('-', '+', ' ', '\t', '.5', 'e3', ',0', '\n', 'B'), fc.boolean())
      .map(([text, extra, isPrefix]) => (isPrefix ? `${extra}${text}` : `${text}${extra}`));
    fc.assert(
      fc.property(fc.oneof(tooLarge, decorated), (text) => {
        expect(parseByteCount(text)).toBeUndefined();
      }),
      propertyParameters(),
    );
  });
});
