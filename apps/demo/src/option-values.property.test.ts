import { ErrorCode } from '@reget/core';
import { anyText, nearValid, outcomeOf, propertyParameters } from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatRate } from './human-units.js';
import {
  collectHeader,
  parseChecksumOption,
  parseHeader,
  parseHostKey,
  parseInteger,
  parseRate,
  parseSeconds,
} from './option-values.js';

const suffixes = { '': 1n, k: 1024n, m: 1024n ** 2n, g: 1024n ** 3n } as const;

/** `<digits>[.<digits>][ ][K|M|G][B|iB][/s]`, as people write rates, with the exact value it means. */
const writtenRate = fc
  .record({
    whole: fc.bigInt({ min: 0n, max: 10n ** 12n }),
    fraction: fc.option(fc.stringMatching(/^[0-9]{1,3}$/), { nil: undefined }),
    suffix: fc.constantFrom('', 'k', 'm', 'g'),
    isUpper: fc.boolean(),
    space: fc.constantFrom('', ' '),
    bytes: fc.constantFrom('', 'b', 'B', 'iB', 'ib'),
    perSecond: fc.constantFrom('', '/s'),
  })
  .map(({ whole, fraction, suffix, isUpper, space, bytes, perSecond }) => {
    const unit = suffixes[suffix as keyof typeof suffixes];
    const scale = 10n ** BigInt(fraction?.length ?? 0);
    // floor((whole + fraction / scale) × unit), in integers so the oracle has no rounding of its own.
    const exact = ((whole * scale + BigInt(fraction ?? 0)) * unit) / scale;
    const name = isUpper ? suffix.toUpperCase() : suffix;
    const number = fraction === undefined ? `${whole}` : `${whole}.${fraction}`;
    return {
      text: `${number}${space}${name}${bytes}${perSecond}`,
      exact,
      isZero: whole === 0n && !/[1-9]/.test(fraction ?? ''),
    };
  });

/** Checks a BAD_INPUT refusal, or returns the value. */
function valueOrBadInput<T>(parse: () => T): T | undefined {
  const outcome = outcomeOf(parse);
  if ('error' in outcome) {
    expect(outcome.error.code).toBe(ErrorCode.BAD_INPUT);
    return undefined;
  }
  return outcome.value;
}

describe('parseRate properties (--limit-rate)', () => {
  it('gives 0 or a safe positive rate, or BAD_INPUT with a one-line message, for any text', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(writtenRate.map(({ text }) => text))), (text) => {
        const rate = valueOrBadInput(() => parseRate(text));
        if (rate !== undefined) expect(Number.isSafeInteger(rate) && rate >= 0).toBe(true);
      }),
      propertyParameters(),
    );
  });

  it('reads back the number of bytes a rate with a binary suffix means, rounded down', () => {
    fc.assert(
      fc.property(writtenRate, ({ text, exact, isZero }) => {
        const rate = valueOrBadInput(() => parseRate(text));
        if (isZero) expect(rate).toBe(0);
        else if (exact >= 1n && exact <= BigInt(Number.MAX_SAFE_INTEGER)) {
          // The rate is read as a double, exact to 2^-53 of it: above 2^43 B/s (8 TiB/s) that is
          // more than the 1/1000 a three-decimal fraction can differ from a whole byte.
          const tolerance = exact >= 2n ** 43n ? 1 : 0;
          expect(Math.abs(rate! - Number(exact))).toBeLessThanOrEqual(tolerance);
        }
        // Below one byte per second, or beyond 2^53 - 1: refused, never rounded to something else.
        else expect(rate).toBeUndefined();
      }),
      propertyParameters(),
    );
  });

  it('reads back a rate it printed in a progress line, to within its rounding', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1024 ** 4 - 1 }), (bytesPerSecond) => {
        const rate = parseRate(formatRate(bytesPerSecond));
        expect(Math.abs(rate - bytesPerSecond)).toBeLessThanOrEqual(bytesPerSecond * 0.005 + 1);
      }),
      propertyParameters(),
    );
  });

  it('refuses a negative rate, an exponent, or a unit it does not know', () => {
    const refused = fc.oneof(
      writtenRate.map(({ text }) => `-${text}`),
      fc.nat().map((value) => `${value}e3`),
      fc
        .tuple(fc.integer({ min: 1, max: 999 }), fc.constantFrom('T', 'P', 'X', 'KK', 'kbit'))
        .map(([value, unit]) => `${value}${unit}`),
    );
    fc.assert(
      fc.property(refused, (text) => {
        expect(valueOrBadInput(() => parseRate(text))).toBeUndefined();
      }),
      propertyParameters(),
    );
  });
});

describe('parseInteger and parseSeconds properties (--jobs, --retries, --timeout …)', () => {
  const bounds = fc.tuple(fc.nat(1000), fc.nat(100_000)).map(([min, span]) => ({ min, max: min + span }));

  it('give a whole number within the bounds, or BAD_INPUT with a one-line message, for any text', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(fc.nat(200_000).map(String))), bounds, (text, { min, max }) => {
        const value = valueOrBadInput(() => parseInteger(text, min, max));
        if (value !== undefined)
          expect(Number.isSafeInteger(value) && value >= min && value <= max).toBe(true);
        const milliseconds = valueOrBadInput(() => parseSeconds(text));
        if (milliseconds !== undefined)
          expect(Number.isSafeInteger(milliseconds) && milliseconds >= 1).toBe(true);
      }),
      propertyParameters(),
    );
  });

  it('read back any number in range, and refuse any number outside it', () => {
    fc.assert(
      fc.property(
        bounds,
        fc.integer({ min: -10, max: 101_010 }),
        fc.constantFrom('', ' ', '0'),
        ({ min, max }, value, padding) => {
          const text = padding === '0' && value >= 0 ? `0${value}` : `${padding}${value}${padding}`;
          const isInRange = value >= min && value <= max;
          expect(valueOrBadInput(() => parseInteger(text, min, max))).toBe(isInRange ? value : undefined);
        },
      ),
      propertyParameters(),
    );
  });

  it('read back seconds with up to three decimals as milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 9 }), (milliseconds) => {
        const text = `${Math.floor(milliseconds / 1000)}.${String(milliseconds % 1000).padStart(3, '0')}`;
        expect(parseSeconds(text)).toBe(milliseconds);
      }),
      propertyParameters(),
    );
  });
});

/** An RFC 9110 token, and a field value without line breaks, as `-H` takes them. */
const headerName = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}$/);
const headerValue = fc
  .string({
    unit: fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
      fc.constantFrom(':', ' ', '\t', '"', ','),
    ),
    maxLength: 30,
  })
  .filter((value) => !/[\r\n\0]/.test(value))
  .map((value) => value.trim());

describe('parseHeader and collectHeader properties (-H)', () => {
  it('give a header or BAD_INPUT with a one-line message for any text, never a line break in a value', () => {
    const written = fc.tuple(headerName, headerValue).map(([name, value]) => `${name}: ${value}`);
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(written)), (text) => {
        const header = valueOrBadInput(() => parseHeader(text));
        if (header === undefined) return;
        expect(header.name).toMatch(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/);
        expect(header.value).not.toMatch(/[\r\n\0]/);
      }),
      propertyParameters(),
    );
  });

  it('read back the name and value, spaces around them aside', () => {
    fc.assert(
      fc.property(headerName, headerValue, fc.constantFrom('', ' ', '  '), (name, value, space) => {
        expect(parseHeader(`${space}${name}${space}:${space}${value}${space}`)).toEqual({ name, value });
      }),
      propertyParameters(),
    );
  });

  it('refuse a value that would inject another header line', () => {
    fc.assert(
      fc.property(
        headerName,
        headerValue,
        fc.constantFrom('\r\n', '\n', '\r', '\0'),
        headerValue,
        (name, before, breaker, after) => {
          fc.pre(before !== '' && after !== '');
          expect(valueOrBadInput(() => parseHeader(`${name}: ${before}${breaker}${after}`))).toBeUndefined();
        },
      ),
      propertyParameters(),
    );
  });

  it('collect repeated names once, whatever their case, with the values joined in order', () => {
    const names = fc.constantFrom('Accept', 'X-Token', 'Cookie');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.mixedCase(names), headerValue), { maxLength: 6 }), (lines) => {
        let headers: Record<string, string> = {};
        for (const [name, value] of lines) headers = collectHeader(`${name}: ${value}`, headers);
        const keys = Object.keys(headers).map((key) => key.toLowerCase());
        expect(new Set(keys).size).toBe(keys.length);
        for (const key of Object.keys(headers)) {
          const values = lines
            .filter(([name]) => name.toLowerCase() === key.toLowerCase())
            .map(([, value]) => value);
          expect(headers[key]).toBe(values.join(', '));
        }
      }),
      propertyParameters(),
    );
  });
});

describe('parseChecksumOption and parseHostKey properties (--checksum, --host-key)', () => {
  const hex = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-fA-F]{${length}}$`));
  const checksum = fc.oneof(
    hex(64).map((digits) => ({ name: 'sha256', digits })),
    hex(128).map((digits) => ({ name: 'sha512', digits })),
    hex(40).map((digits) => ({ name: 'sha1', digits })),
    hex(32).map((digits) => ({ name: 'md5', digits })),
  );
  const fingerprint = fc.stringMatching(/^[A-Za-z0-9+/]{43}$/).map((body) => `SHA256:${body}`);

  it('give a normal form or BAD_INPUT with a one-line message for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyText,
          nearValid(checksum.map(({ name, digits }) => `${name}:${digits}`)),
          nearValid(fingerprint),
        ),
        (text) => {
          const normal = valueOrBadInput(() => parseChecksumOption(text));
          if (normal !== undefined) expect(normal).toMatch(/^(sha256|sha512|sha1|md5):[0-9a-f]+$/);
          const pinned = valueOrBadInput(() => parseHostKey(text));
          if (pinned !== undefined) expect(pinned).toMatch(/^SHA256:[A-Za-z0-9+/]{43}=?$/);
        },
      ),
      propertyParameters(),
    );
  });

  it('read back a checksum in lower case whatever the case of its name, and a fingerprint as given', () => {
    fc.assert(
      fc.property(
        checksum,
        fc.boolean(),
        fc.constantFrom(':', '='),
        fingerprint,
        ({ name, digits }, isUpper, separator, pin) => {
          const written = `${isUpper ? name.toUpperCase() : name}${separator}${digits}`;
          expect(parseChecksumOption(` ${written} `)).toBe(`${name}:${digits.toLowerCase()}`);
          expect(parseHostKey(` ${pin} `)).toBe(pin);
        },
      ),
      propertyParameters(),
    );
  });
});
