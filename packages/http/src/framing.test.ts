import { ErrorCode, isRegetError } from '@reget/core';
import { describe, expect, it } from 'vitest';
import { isIdentityCoding, parseContentLength, parseContentRange, parseUnsatisfiedRange } from './framing.js';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isRegetError(error) ? error.code : 'not a RegetError';
  }
  return undefined;
}

describe('parseContentRange (FAULTS HTTP-01, HTTP-06, SEC-08)', () => {
  it('reads first, last and total, with the unit in any case', () => {
    expect(parseContentRange('bytes 40-99/100')).toEqual({ first: 40, last: 99, total: 100 });
    expect(parseContentRange('Bytes 40-99/100')).toEqual({ first: 40, last: 99, total: 100 });
    expect(parseContentRange('BYTES 0-0/1')).toEqual({ first: 0, last: 0, total: 1 });
  });

  it('accepts an unknown complete length', () => {
    expect(parseContentRange('bytes 40-99/*')).toEqual({ first: 40, last: 99, total: undefined });
  });

  it.each([
    ['missing', undefined],
    ['reversed', 'bytes 60-40/100'],
    ['past the total', 'bytes 40-99/99'],
    ['another unit', 'items 40-99/100'],
    ['no unit', '40-99/100'],
    ['unsatisfied form', 'bytes */100'],
    ['signed', 'bytes -40-99/100'],
    ['trailing junk', 'bytes 40-99/100x'],
    ['20-digit positions', 'bytes 36893488147419103232-36893488147419103233/36893488147419103234'],
    ['a total above 2^53', 'bytes 0-9/9223372036854775807'],
  ])('refuses a %s Content-Range with PROTOCOL', (_, value) => {
    expect(codeOf(() => parseContentRange(value))).toBe(ErrorCode.PROTOCOL);
  });
});

describe('parseUnsatisfiedRange (FAULTS HTTP-03, HTTP-13)', () => {
  it('reads the complete length of bytes */N', () => {
    expect(parseUnsatisfiedRange('bytes */100')).toBe(100);
    expect(parseUnsatisfiedRange('bytes */0')).toBe(0);
  });

  it('gives undefined for anything else', () => {
    expect(parseUnsatisfiedRange(undefined)).toBeUndefined();
    expect(parseUnsatisfiedRange('bytes */-1')).toBeUndefined();
    expect(parseUnsatisfiedRange('bytes 0-1/2')).toBeUndefined();
    expect(parseUnsatisfiedRange('bytes */36893488147419103232')).toBeUndefined();
  });
});

describe('parseContentLength (FAULTS HTTP-08, SEC-08)', () => {
  it('reads digits, and a list of identical values once', () => {
    expect(parseContentLength('60')).toBe(60);
    expect(parseContentLength('6, 6,6')).toBe(6);
    expect(parseContentLength(undefined)).toBeUndefined();
  });

  it.each(['6,7', '-6', 'crap', '', '12abc', '9223372036854775807', '36893488147419103232'])(
    'refuses %j with PROTOCOL',
    (value) => {
      expect(codeOf(() => parseContentLength(value))).toBe(ErrorCode.PROTOCOL);
    },
  );
});

describe('isIdentityCoding (FAULTS HTTP-09, SEC-09)', () => {
  it('is true only without a real content coding', () => {
    expect(isIdentityCoding(undefined)).toBe(true);
    expect(isIdentityCoding('identity')).toBe(true);
    expect(isIdentityCoding('gzip')).toBe(false);
    expect(isIdentityCoding('identity, gzip')).toBe(false);
    expect(isIdentityCoding('gzip, gzip, gzip')).toBe(false);
  });
});
