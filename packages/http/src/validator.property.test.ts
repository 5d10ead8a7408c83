import type { Validator } from '@reget/core';
import { anyText, nearValid, outcomeOf, propertyParameters } from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ifRangeFor, strongLastModifiedOf, validatorOf } from './validator.js';

/** etagc (RFC 9110 §8.8.3): any visible ASCII but `"`, and obs-text. */
const opaqueTag = fc.stringMatching(/^[\x21\x23-\x7e\x80-\xff]{0,30}$/);
const strongTag = opaqueTag.map((tag) => `"${tag}"`);
const weakTag = opaqueTag.map((tag) => `W/"${tag}"`);
/** Whole seconds of the years an IMF-fixdate can write. */
const wholeSecond = fc
  .date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((date) => new Date(Math.floor(date.getTime() / 1000) * 1000));
const httpDate = wholeSecond.map((date) => date.toUTCString());

describe('validatorOf properties (RFC 9110 §8.8)', () => {
  it('returns a validator or undefined for any ETag and Last-Modified, and never throws', () => {
    const etag = fc.option(fc.oneof(anyText, nearValid(fc.oneof(strongTag, weakTag))), { nil: undefined });
    const lastModified = fc.option(fc.oneof(anyText, nearValid(httpDate)), { nil: undefined });
    fc.assert(
      fc.property(etag, lastModified, (tag, date) => {
        const outcome = outcomeOf(() => validatorOf({ etag: tag, 'last-modified': date }));
        expect(outcome).not.toHaveProperty('error');
        const validator = 'value' in outcome ? outcome.value : undefined;
        if (validator === undefined) return;
        // Only a strong entity tag is strong, and the stored value always names where it came from.
        expect(validator.value).toMatch(/^(etag:(W\/)?"|last-modified:)/);
        expect(validator.isStrong).toBe(/^etag:"/.test(validator.value));
      }),
      propertyParameters(),
    );
  });

  it('keeps a strong ETag, and sends it back as If-Range exactly as the server wrote it', () => {
    fc.assert(
      fc.property(strongTag, fc.option(httpDate, { nil: undefined }), (tag, date) => {
        const validator = validatorOf({ etag: tag, 'last-modified': date });
        expect(validator).toEqual({ value: `etag:${tag}`, isStrong: true });
        expect(ifRangeFor(validator, new Set())).toBe(tag);
      }),
      propertyParameters(),
    );
  });

  it('prefers Last-Modified to a weak ETag, and never sends a weak ETag as If-Range', () => {
    fc.assert(
      fc.property(weakTag, fc.option(wholeSecond, { nil: undefined }), (tag, date) => {
        const validator = validatorOf({ etag: tag, 'last-modified': date?.toUTCString() });
        expect(validator?.isStrong).toBe(false);
        if (date === undefined) expect(validator?.value).toBe(`etag:${tag}`);
        else expect(validator?.value).toBe(`last-modified:${date.toUTCString()}`);
        expect(ifRangeFor({ value: `etag:${tag}`, isStrong: true }, new Set())).toBeUndefined();
      }),
      propertyParameters(),
    );
  });

  it('deems Last-Modified strong exactly when Date is at least a second later', () => {
    // Both dates must stay within the four-digit years.
    const modifiedAt = wholeSecond.filter(
      (date) => date.getUTCFullYear() < 9999 && date.getUTCFullYear() > 0,
    );
    fc.assert(
      fc.property(modifiedAt, fc.integer({ min: -3, max: 3 }), (modified, secondsLater) => {
        const date = new Date(modified.getTime() + secondsLater * 1000);
        const headers = { 'last-modified': modified.toUTCString(), date: date.toUTCString() };
        const strong = strongLastModifiedOf(headers);
        expect(strong).toBe(secondsLater >= 1 ? modified.toUTCString() : undefined);
      }),
      propertyParameters(),
    );
  });

  it('deems Last-Modified strong exactly when Date is later by a second or more, for any two dates', () => {
    fc.assert(
      fc.property(wholeSecond, wholeSecond, (modified, date) => {
        const headers = { 'last-modified': modified.toUTCString(), date: date.toUTCString() };
        const isStrong = date.getTime() - modified.getTime() >= 1000;
        expect(strongLastModifiedOf(headers)).toBe(isStrong ? modified.toUTCString() : undefined);
      }),
      propertyParameters(),
    );
  });

  it('puts in If-Range only a strong ETag or a date seen to be strong, whatever was stored', () => {
    const stored: fc.Arbitrary<Validator> = fc.record({
      value: fc.oneof(
        anyText,
        fc
          .tuple(fc.constantFrom('etag:', 'last-modified:', 'mdtm:', 'sftp:'), anyText)
          .map(([a, b]) => a + b),
        strongTag.map((tag) => `etag:${tag}`),
        httpDate.map((date) => `last-modified:${date}`),
      ),
      isStrong: fc.boolean(),
    });
    fc.assert(
      fc.property(stored, fc.array(httpDate, { maxLength: 2 }), (validator, dates) => {
        const strongDates = new Set(dates);
        const ifRange = outcomeOf(() => ifRangeFor(validator, strongDates));
        expect(ifRange).not.toHaveProperty('error');
        const value = 'value' in ifRange ? ifRange.value : undefined;
        if (value === undefined) return;
        expect(/^"[\x21\x23-\x7e\x80-\xff]*"$/.test(value) || strongDates.has(value)).toBe(true);
      }),
      propertyParameters(),
    );
  });
});
