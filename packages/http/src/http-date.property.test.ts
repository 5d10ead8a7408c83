import { anyText, nearValid, outcomeOf, propertyParameters } from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHttpDate } from './http-date.js';

const now = Date.UTC(2026, 11, 5);
const longDayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const monthNames = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (value: number) => String(value).padStart(2, '0');

/** Any whole second of the years an IMF-fixdate can write (four digits). */
const wholeSecond = fc
  .date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((date) => new Date(Math.floor(date.getTime() / 1000) * 1000));

/** `Sunday, 06-Nov-94 08:49:37 GMT` (RFC 850). */
function rfc850(date: Date): string {
  const year = two(date.getUTCFullYear() % 100);
  return `${longDayNames[date.getUTCDay()]}, ${two(date.getUTCDate())}-${monthNames[date.getUTCMonth()]}-${year} ${time(date)} GMT`;
}

/** `Sun Nov  6 08:49:37 1994` (asctime). */
function asctime(date: Date): string {
  const [day] = date.toUTCString().split(',') as [string];
  const dayOfMonth = String(date.getUTCDate()).padStart(2, ' ');
  return `${day} ${monthNames[date.getUTCMonth()]} ${dayOfMonth} ${time(date)} ${String(date.getUTCFullYear()).padStart(4, '0')}`;
}

function time(date: Date): string {
  return `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
}

describe('parseHttpDate properties (RFC 9110 §5.6.7)', () => {
  it('returns a real date or undefined for any text, and never throws', () => {
    const written = wholeSecond.chain((date) =>
      fc.constantFrom(date.toUTCString(), rfc850(date), asctime(date)),
    );
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(written)), (text) => {
        const outcome = outcomeOf(() => parseHttpDate(text, now));
        expect(outcome).not.toHaveProperty('error');
        const date = 'value' in outcome ? outcome.value : undefined;
        // A date it accepts names a real instant, and writing it again gives the same instant.
        if (date !== undefined)
          expect(parseHttpDate(date.toUTCString(), now)?.getTime()).toBe(date.getTime());
      }),
      propertyParameters(),
    );
  });

  it('reads back the second of an IMF-fixdate written by toUTCString()', () => {
    fc.assert(
      fc.property(wholeSecond, (date) => {
        expect(parseHttpDate(date.toUTCString(), now)?.toISOString()).toBe(date.toISOString());
      }),
      propertyParameters(),
    );
  });

  it('reads back an asctime date', () => {
    fc.assert(
      fc.property(wholeSecond, (date) => {
        expect(parseHttpDate(asctime(date), now)?.toISOString()).toBe(date.toISOString());
      }),
      propertyParameters(),
    );
  });

  it('reads back an RFC 850 date within 50 years of now, its century taken from now', () => {
    const thisYear = new Date(now).getUTCFullYear();
    const nearNow = fc
      .date({
        min: new Date(Date.UTC(thisYear - 49, 0, 1)),
        max: new Date(Date.UTC(thisYear + 50, 11, 31, 23, 59, 59)),
        noInvalidDate: true,
      })
      .map((date) => new Date(Math.floor(date.getTime() / 1000) * 1000));
    fc.assert(
      fc.property(nearNow, (date) => {
        expect(parseHttpDate(rfc850(date), now)?.toISOString()).toBe(date.toISOString());
      }),
      propertyParameters(),
    );
  });

  it('refuses a date whose day name does not match, or that is not in the calendar', () => {
    const wrong = fc.oneof(
      // The right date with another day name.
      fc.tuple(wholeSecond, fc.integer({ min: 1, max: 6 })).map(([date, shift]) => {
        const names = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
        return date.toUTCString().replace(/^.../, names[(date.getUTCDay() + shift) % 7]!);
      }),
      // An hour of 24 or more, a minute or second of 60 or more.
      fc
        .tuple(wholeSecond, fc.constantFrom('hour', 'minute', 'second'), fc.integer({ min: 0, max: 39 }))
        .map(([date, field, extra]) => {
          const parts = date.toUTCString().split(' ');
          const [hour, minute, second] = parts[4]!.split(':');
          if (field === 'hour') parts[4] = `${two(24 + extra)}:${minute}:${second}`;
          if (field === 'minute') parts[4] = `${hour}:${two(60 + extra)}:${second}`;
          if (field === 'second') parts[4] = `${hour}:${minute}:${two(60 + extra)}`;
          return parts.join(' ');
        }),
      // The 29th to 31st of a month too short for it, or day 00 or 32 to 39, named by the day
      // Date.UTC would roll it over to, so that only the calendar check can refuse it.
      fc
        .tuple(fc.integer({ min: 1000, max: 9999 }), fc.nat(11), fc.constantFrom(0, 29, 30, 31, 32, 35, 39))
        .filter(
          ([year, month, day]) => day === 0 || day > new Date(Date.UTC(year, month + 1, 0)).getUTCDate(),
        )
        .map(([year, month, day]) => {
          const rolled = new Date(Date.UTC(year, month, day));
          const name = rolled.toUTCString().slice(0, 3);
          return `${name}, ${two(day)} ${monthNames[month]} ${year} 00:00:00 GMT`;
        }),
    );
    fc.assert(
      fc.property(wrong, (text) => {
        expect(parseHttpDate(text, now)).toBeUndefined();
      }),
      propertyParameters(),
    );
  });
});
