import { anyText, nearValid, outcomeOf, propertyParameters } from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './retry-after.js';

const now = Date.UTC(2026, 11, 5, 10, 0, 0);
/** Whole seconds around `now`, a century either way. */
const instant = fc
  .integer({ min: -100 * 365 * 86_400, max: 100 * 365 * 86_400 })
  .map((offset) => new Date(now + offset * 1000));

describe('parseRetryAfter properties (RFC 9110 §10.2.3)', () => {
  it('returns a finite, non-negative delay or undefined for any text, and never throws', () => {
    const valid = fc.oneof(
      fc.maxSafeNat().map(String),
      instant.map((date) => date.toUTCString()),
    );
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(valid)), (text) => {
        const outcome = outcomeOf(() => parseRetryAfter(text, now));
        expect(outcome).not.toHaveProperty('error');
        const delay = 'value' in outcome ? outcome.value : undefined;
        if (delay !== undefined) expect(Number.isFinite(delay) && delay >= 0).toBe(true);
      }),
      propertyParameters(),
    );
  });

  it('reads back delay-seconds as milliseconds', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.constantFrom('', ' ', '\t'), (seconds, padding) => {
        expect(parseRetryAfter(`${padding}${seconds}${padding}`, now)).toBe(seconds * 1000);
      }),
      propertyParameters(),
    );
  });

  it('reads back an HTTP-date as the time left until it, and a past one as no wait', () => {
    fc.assert(
      fc.property(instant, (date) => {
        expect(parseRetryAfter(date.toUTCString(), now)).toBe(Math.max(0, date.getTime() - now));
      }),
      propertyParameters(),
    );
  });

  it('gives undefined for a signed, fractional or oversized number of seconds', () => {
    const refused = fc.oneof(
      fc.maxSafeNat().map((seconds) => `-${seconds}`),
      fc.maxSafeNat().map((seconds) => `+${seconds}`),
      fc.tuple(fc.maxSafeNat(), fc.nat(999)).map(([seconds, fraction]) => `${seconds}.${fraction}`),
      fc.bigInt({ min: BigInt(Number.MAX_SAFE_INTEGER) + 1n, max: 10n ** 30n }).map(String),
    );
    fc.assert(
      fc.property(refused, (text) => {
        expect(parseRetryAfter(text, now)).toBeUndefined();
      }),
      propertyParameters(),
    );
  });
});
