import { describe, expect, it } from 'vitest';
import { ifRangeFor, strongLastModifiedOf, validatorOf } from './validator.js';

const lastModified = 'Tue, 24 Nov 2026 10:00:00 GMT';
const later = 'Tue, 24 Nov 2026 10:00:01 GMT';

describe('validatorOf (FAULTS CHG-01, CHG-02)', () => {
  it('prefers a strong ETag, which is strong', () => {
    expect(validatorOf({ etag: '"abc"', 'last-modified': lastModified })).toEqual({
      value: 'etag:"abc"',
      isStrong: true,
    });
  });

  it('falls back to Last-Modified (not strong) when the ETag is weak or absent', () => {
    const expected = { value: `last-modified:${lastModified}`, isStrong: false };
    expect(validatorOf({ etag: 'W/"abc"', 'last-modified': lastModified })).toEqual(expected);
    expect(validatorOf({ 'last-modified': 'Tuesday, 24-Nov-26 10:00:00 GMT' })).toEqual(expected);
  });

  it('keeps a weak ETag as a weak validator when it is all there is', () => {
    expect(validatorOf({ etag: 'W/"abc"' })).toEqual({ value: 'etag:W/"abc"', isStrong: false });
  });

  it('ignores malformed values', () => {
    expect(validatorOf({ etag: 'abc' })).toBeUndefined();
    expect(validatorOf({ 'last-modified': '12345' })).toBeUndefined();
    expect(validatorOf({})).toBeUndefined();
  });
});

describe('If-Range (RFC 9110 §13.1.5, FAULTS CHG-02)', () => {
  it('carries a strong ETag', () => {
    expect(ifRangeFor({ value: 'etag:"abc"', isStrong: true }, new Set())).toBe('"abc"');
  });

  it('never carries a weak ETag', () => {
    expect(ifRangeFor({ value: 'etag:W/"abc"', isStrong: false }, new Set())).toBeUndefined();
    expect(ifRangeFor({ value: 'etag:W/"abc"', isStrong: true }, new Set())).toBeUndefined();
  });

  it('carries a date only when it was seen to be strong', () => {
    const validator = { value: `last-modified:${lastModified}`, isStrong: false };
    expect(ifRangeFor(validator, new Set())).toBeUndefined();
    expect(ifRangeFor(validator, new Set([lastModified]))).toBe(lastModified);
  });

  it('carries nothing for a foreign validator', () => {
    expect(ifRangeFor({ value: 'mdtm:20260101120000', isStrong: false }, new Set())).toBeUndefined();
    expect(ifRangeFor(undefined, new Set())).toBeUndefined();
  });

  it('deems a date strong when Date is at least a second later', () => {
    expect(strongLastModifiedOf({ 'last-modified': lastModified, date: later })).toBe(lastModified);
    expect(strongLastModifiedOf({ 'last-modified': lastModified, date: lastModified })).toBeUndefined();
    expect(strongLastModifiedOf({ 'last-modified': lastModified })).toBeUndefined();
  });

  it('compares the dates as written, even a Date in the year 49 (found by a property test)', () => {
    const headers = {
      'last-modified': 'Thu, 01 Jan 1970 00:00:00 GMT',
      date: 'Fri, 31 Dec 0049 23:59:59 GMT',
    };
    expect(strongLastModifiedOf(headers)).toBeUndefined();
  });
});
