import { describe, expect, it } from 'vitest';
import { parseHttpDate } from './http-date.js';

const when = Date.UTC(1994, 10, 6, 8, 49, 37);
const now = Date.UTC(2026, 11, 5);

describe('parseHttpDate (RFC 9110 §5.6.7)', () => {
  it.each([
    'Sun, 06 Nov 1994 08:49:37 GMT',
    'Sunday, 06-Nov-94 08:49:37 GMT',
    'Sun Nov  6 08:49:37 1994',
    '  Sun, 06 Nov 1994 08:49:37 GMT ',
  ])('reads %j', (text) => {
    expect(parseHttpDate(text, now)?.getTime()).toBe(when);
  });

  it('reads a four-digit year below 100 as written, not as 19xx (found by a property test)', () => {
    const text = new Date('0099-12-31T23:59:59Z').toUTCString();
    expect(parseHttpDate(text, now)?.toISOString()).toBe('0099-12-31T23:59:59.000Z');
    expect(parseHttpDate('Sun, 29 Feb 0004 00:00:00 GMT', now)?.toISOString()).toBe(
      '0004-02-29T00:00:00.000Z',
    );
    expect(parseHttpDate('Thu, 29 Feb 0001 00:00:00 GMT', now)).toBeUndefined();
  });

  it('places a two-digit year no more than 50 years ahead', () => {
    expect(parseHttpDate('Wednesday, 01-Jan-76 00:00:00 GMT', now)?.getUTCFullYear()).toBe(2076);
    expect(parseHttpDate('Saturday, 01-Jan-77 00:00:00 GMT', now)?.getUTCFullYear()).toBe(1977);
  });

  it.each([
    undefined,
    '',
    '2026-12-05T10:00:00Z',
    '12 Jan 2026',
    'sun, 06 Nov 1994 08:49:37 GMT',
    'Sun, 06 nov 1994 08:49:37 GMT',
    'Sun, 06 Nov 1994 08:49:37 UTC',
    'Sun, 6 Nov 1994 08:49:37 GMT',
    'Mon, 06 Nov 1994 08:49:37 GMT',
    'Sun, 31 Feb 1994 08:49:37 GMT',
    'Sun, 06 Nov 1994 24:00:00 GMT',
    'Sun, 06 Nov 1994 08:60:00 GMT',
    'Sun, 06 Nov 1994 08:49:60 GMT',
    'Sun, 06 Nov 1994 08:49:37 GMT junk',
    'Sun Nov 06 08:49:37 1994 GMT',
  ])('refuses %j', (text) => {
    expect(parseHttpDate(text, now)).toBeUndefined();
  });
});
