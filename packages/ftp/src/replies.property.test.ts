import { anyText, nearValid, outcomeOf, propertyParameters } from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mdtmTime, mdtmValidator, parseMdtmReply, parseSizeReply } from './replies.js';

const two = (value: number) => String(value).padStart(2, '0');

/** Whole seconds, or milliseconds, of the years MDTM can write (four digits). */
const instant = fc.date({
  min: new Date('0000-01-01T00:00:00Z'),
  max: new Date('9999-12-31T23:59:59.999Z'),
  noInvalidDate: true,
});

/** `YYYYMMDDHHMMSS[.sss]` (RFC 3659 §2.3) of a date, with `digits` fraction digits (0 for none). */
function mdtmOf(date: Date, digits: number): string {
  const whole =
    String(date.getUTCFullYear()).padStart(4, '0') +
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes()) +
    two(date.getUTCSeconds());
  return digits === 0
    ? whole
    : `${whole}.${String(date.getUTCMilliseconds()).padStart(3, '0').padEnd(digits, '0').slice(0, digits)}`;
}

/**
 * A reply as basic-ftp hands it over: single-line `213 …`, or a multi-line one (RFC 959 §4.2:
 * `213-` first line, `213 ` last line), lines joined with LF.
 */
function multiLine(lines: readonly string[], last: string): string {
  return [`213-${lines[0] ?? ''}`, ...lines.slice(1), `213 ${last}`].join('\n');
}

describe('parseSizeReply properties (RFC 3659 §4, FAULTS FTP-03, SEC-08)', () => {
  it('gives a safe size only for exactly `213 <digits>`, undefined for anything else, and never throws', () => {
    const sizeReply = fc.maxSafeNat().map((size) => `213 ${size}`);
    const replies = fc.oneof(
      anyText,
      nearValid(sizeReply),
      fc.tuple(fc.array(anyText, { maxLength: 3 }), sizeReply).map(([lines, last]) => multiLine(lines, last)),
    );
    fc.assert(
      fc.property(replies, (reply) => {
        const outcome = outcomeOf(() => parseSizeReply(reply));
        expect(outcome).not.toHaveProperty('error');
        const size = 'value' in outcome ? outcome.value : undefined;
        if (size === undefined) return;
        expect(reply).toMatch(/^213 [0-9]+\s*$/);
        expect(BigInt(reply.slice(4).trim())).toBe(BigInt(size));
        expect(Number.isSafeInteger(size)).toBe(true);
      }),
      propertyParameters(),
    );
  });

  it('reads back any size up to 2^53 - 1, with or without trailing space', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.constantFrom('', ' ', '\r', '\r\n'), (size, end) => {
        expect(parseSizeReply(`213 ${size}${end}`)).toBe(size);
      }),
      propertyParameters(),
    );
  });

  it('refuses a signed, fractional, oversized or commented size, and a multi-line reply', () => {
    const refused = fc.oneof(
      fc.maxSafeNat().map((size) => `213 -${size}`),
      fc.maxSafeNat().map((size) => `213 +${size}`),
      fc.maxSafeNat().map((size) => `213 ${size}.5`),
      fc.maxSafeNat().map((size) => `213 ${size} bytes`),
      fc.bigInt({ min: BigInt(Number.MAX_SAFE_INTEGER) + 1n, max: 10n ** 30n }).map((size) => `213 ${size}`),
      fc
        .tuple(fc.array(fc.string(), { minLength: 1, maxLength: 3 }), fc.maxSafeNat())
        .map(([lines, size]) => multiLine(lines, String(size))),
    );
    fc.assert(
      fc.property(refused, (reply) => {
        expect(parseSizeReply(reply)).toBeUndefined();
      }),
      propertyParameters(),
    );
  });
});

describe('parseMdtmReply and mdtmTime properties (RFC 3659 §3)', () => {
  it('give a timestamp and a real time, or undefined, for any reply, and never throw', () => {
    const mdtmReply = fc.tuple(instant, fc.nat(9)).map(([date, digits]) => `213 ${mdtmOf(date, digits)}`);
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(mdtmReply)), (reply) => {
        const outcome = outcomeOf(() => {
          const mdtm = parseMdtmReply(reply);
          return { mdtm, time: mdtmTime(mdtm), validator: mdtmValidator(mdtm) };
        });
        expect(outcome).not.toHaveProperty('error');
        if (!('value' in outcome) || outcome.value.mdtm === undefined) return;
        const { mdtm, time, validator } = outcome.value;
        expect(mdtm).toMatch(/^[0-9]{14}(\.[0-9]{1,9})?$/);
        expect(validator).toEqual({ value: `mdtm:${mdtm}`, isStrong: false });
        if (time !== undefined) expect(Number.isNaN(time.getTime())).toBe(false);
      }),
      propertyParameters(),
    );
  });

  it('read back the time an MDTM timestamp was written from, to the millisecond', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(0, 3, 6, 9), (date, digits) => {
        const mdtm = parseMdtmReply(`213 ${mdtmOf(date, digits)}`);
        expect(mdtm).toBe(mdtmOf(date, digits));
        const expected = digits === 0 ? Math.floor(date.getTime() / 1000) * 1000 : date.getTime();
        expect(mdtmTime(mdtm)?.toISOString()).toBe(new Date(expected).toISOString());
      }),
      propertyParameters(),
    );
  });

  it('give no timestamp for fewer or more than 14 digits, or more than 9 decimals', () => {
    const wrongLength = fc.oneof(
      fc
        .tuple(
          fc.integer({ min: 1, max: 30 }).filter((length) => length !== 14),
          fc.nat(9),
        )
        .map(([length, digit]) => String(digit).repeat(length)),
      fc.nat(9).map((digit) => `${String(digit).repeat(14)}.${String(digit).repeat(10)}`),
    );
    fc.assert(
      fc.property(wrongLength, (timestamp) => {
        expect(parseMdtmReply(`213 ${timestamp}`)).toBeUndefined();
      }),
      propertyParameters(),
    );
  });

  it('give no time for a month, day, hour, minute or second outside the calendar', () => {
    const impossible = fc
      .tuple(instant, fc.constantFrom('month', 'day', 'hour', 'minute', 'second'), fc.nat(30))
      .map(([date, field, extra]) => {
        const text = mdtmOf(date, 0);
        const year = Number(text.slice(0, 4));
        const month = date.getUTCMonth();
        const daysInMonth =
          new Date(Date.UTC(2000, month + 1, 0)).getUTCDate() - (month === 1 && !isLeap(year) ? 1 : 0);
        const replace = (at: number, value: number) =>
          `${text.slice(0, at)}${two(value)}${text.slice(at + 2)}`;
        if (field === 'month') return replace(4, extra % 2 === 0 ? 0 : 13 + (extra % 87));
        if (field === 'day')
          return replace(6, extra % 2 === 0 ? 0 : daysInMonth + 1 + (extra % (99 - daysInMonth)));
        if (field === 'hour') return replace(8, 24 + extra);
        if (field === 'minute') return replace(10, 60 + extra);
        return replace(12, 60 + extra);
      });
    fc.assert(
      fc.property(impossible, (mdtm) => {
        expect(mdtmTime(mdtm)).toBeUndefined();
      }),
      propertyParameters(),
    );
  });
});

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
