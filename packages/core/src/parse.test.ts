import { describe, expect, it } from 'vitest';
import { parseByteCount } from './parse.js';

describe('parseByteCount (FAULTS SEC-08)', () => {
  it('accepts plain decimal digits up to Number.MAX_SAFE_INTEGER', () => {
    expect(parseByteCount('0')).toBe(0);
    expect(parseByteCount('1048576')).toBe(1_048_576);
    expect(parseByteCount('007')).toBe(7);
    expect(parseByteCount('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([
    ['-6', 'a sign'],
    ['+6', 'a plus sign'],
    ['12abc', 'trailing garbage'],
    ['', 'nothing'],
    [' 12', 'a leading space'],
    ['12 ', 'a trailing space'],
    ['1e3', 'an exponent'],
    ['1.5', 'a fraction'],
    ['0x10', 'hex'],
    ['6,06,6', 'a list'],
    ['１２', 'non-ASCII digits'],
    ['9007199254740992', 'one past the safe range'],
    ['9007199254740993', 'a value that rounds when read as a double'],
    ['36893488147419103232', '2^65'],
    ['9223372036854775807', 'int64 max'],
  ])('refuses %j (%s)', (text) => {
    expect(parseByteCount(text)).toBeUndefined();
  });
});
