import { ErrorCode } from '@reget/core';
import { anyText, nearValid, outcomeOf, propertyParameters } from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSize } from './demo-options.js';
import { formatBytes } from './human-units.js';

const minimumSize = 256 * 1024;
const maximumSize = 128 * 1024 ** 2;
const inRange = fc.integer({ min: minimumSize, max: maximumSize });

describe('parseSize properties (reget demo --size)', () => {
  it('gives a size from 256K to 128M, or BAD_INPUT with a one-line message, for any text', () => {
    const written = fc
      .tuple(fc.integer({ min: 1, max: 200 }), fc.constantFrom('K', 'M', 'm', 'MiB', 'MB', ' G', ''))
      .map(([value, unit]) => `${value}${unit}`);
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(written)), (text) => {
        const outcome = outcomeOf(() => parseSize(text));
        if ('error' in outcome) {
          expect(outcome.error.code).toBe(ErrorCode.BAD_INPUT);
          return;
        }
        expect(Number.isSafeInteger(outcome.value)).toBe(true);
        expect(outcome.value).toBeGreaterThanOrEqual(minimumSize);
        expect(outcome.value).toBeLessThanOrEqual(maximumSize);
      }),
      propertyParameters(),
    );
  });

  it('reads back a size written in bytes, K or M, and one printed by formatBytes to within its rounding', () => {
    fc.assert(
      fc.property(inRange, (size) => {
        expect(parseSize(String(size))).toBe(size);
        if (size % 1024 === 0) expect(parseSize(`${size / 1024}K`)).toBe(size);
        if (size % 1024 ** 2 === 0) expect(parseSize(`${size / 1024 ** 2}m`)).toBe(size);
        const printed = outcomeOf(() => parseSize(formatBytes(size)));
        // formatBytes keeps three significant digits, which may round just out of range.
        if ('value' in printed) expect(Math.abs(printed.value - size)).toBeLessThanOrEqual(size * 0.005 + 1);
      }),
      propertyParameters(),
    );
  });

  it('refuses any size below 256K or above 128M', () => {
    const outside = fc.oneof(
      fc.integer({ min: 0, max: minimumSize - 1 }),
      fc.integer({ min: maximumSize + 1, max: 2 ** 40 }),
    );
    fc.assert(
      fc.property(outside, (size) => {
        const outcome = outcomeOf(() => parseSize(String(size)));
        expect('error' in outcome && outcome.error.code).toBe(ErrorCode.BAD_INPUT);
      }),
      propertyParameters(),
    );
  });
});
