import { isRegetError } from '@reget/core';
import { describe, expect, it } from 'vitest';
import { parseSize } from '../src/demo-options.js';
import {
  collectHeader,
  parseChecksumOption,
  parseHostKey,
  parseInteger,
  parseRate,
  parseSeconds,
} from '../src/option-values.js';

function badInputOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected BAD_INPUT, nothing was thrown');
}

describe('parseRate (--limit-rate)', () => {
  it('reads binary K, M and G suffixes, as curl and wget do', () => {
    expect(parseRate('500K')).toBe(512_000);
    expect(parseRate('500k')).toBe(512_000);
    expect(parseRate('2M')).toBe(2_097_152);
    expect(parseRate('1.5m')).toBe(1_572_864);
    expect(parseRate('1G')).toBe(1024 ** 3);
    expect(parseRate('65536')).toBe(65_536);
    expect(parseRate('100KB/s')).toBe(102_400);
  });

  it('reads 0 as no limit, as curl and wget do', () => {
    expect(parseRate('0')).toBe(0);
    expect(parseRate('0K')).toBe(0);
  });

  it('refuses what is not a positive rate', () => {
    for (const text of ['', 'fast', '5X', '-1K', '0.0001K', '0.5', '1e3', 'K', '2 M M']) {
      expect(
        isRegetError(
          badInputOf(() => parseRate(text)),
          'BAD_INPUT',
        ),
        text,
      ).toBe(true);
    }
  });
});

describe('option values with control characters', () => {
  it('are refused on one line (found by a property test: "\\r")', () => {
    for (const parse of [parseRate, (text: string) => parseInteger(text, 0, 0), parseSeconds, parseSize]) {
      const error = badInputOf(() => parse('\r'));
      expect(isRegetError(error, 'BAD_INPUT')).toBe(true);
      expect((error as Error).message).not.toMatch(/[\r\n]/);
    }
  });
});

describe('parseChecksumOption (--checksum)', () => {
  const sha256 = 'a'.repeat(64);

  it('accepts algorithm:hex and normalises it', () => {
    expect(parseChecksumOption(`sha256:${sha256}`)).toBe(`sha256:${sha256}`);
    expect(parseChecksumOption(`SHA256:${sha256.toUpperCase()}`)).toBe(`sha256:${sha256}`);
    expect(parseChecksumOption(`md5:${'0'.repeat(32)}`)).toBe(`md5:${'0'.repeat(32)}`);
  });

  it('refuses unknown algorithms, wrong lengths and non-hex digits', () => {
    for (const text of ['sha256:abc', `sha3:${sha256}`, `sha256:${'g'.repeat(64)}`, sha256, 'sha256:', '']) {
      expect(
        isRegetError(
          badInputOf(() => parseChecksumOption(text)),
          'BAD_INPUT',
        ),
        text,
      ).toBe(true);
    }
  });
});

describe('parseInteger and parseSeconds', () => {
  it('accept whole numbers in range and seconds with decimals', () => {
    expect(parseInteger('4', 1, 64)).toBe(4);
    expect(parseInteger('0', 0, 10)).toBe(0);
    expect(parseSeconds('2.5')).toBe(2500);
    expect(parseSeconds('30')).toBe(30_000);
  });

  it('refuse the rest', () => {
    for (const text of ['0', '65', '1.5', '-1', 'x', '']) {
      expect(
        isRegetError(
          badInputOf(() => parseInteger(text, 1, 64)),
          'BAD_INPUT',
        ),
        text,
      ).toBe(true);
    }
    for (const text of ['0', '-1', 'ten', '1e3', '']) {
      expect(
        isRegetError(
          badInputOf(() => parseSeconds(text)),
          'BAD_INPUT',
        ),
        text,
      ).toBe(true);
    }
  });
});

describe('collectHeader (-H)', () => {
  it('collects headers and joins repeated names case-insensitively', () => {
    const first = collectHeader('Accept: text/plain');
    const second = collectHeader('accept: text/html', first);
    expect(collectHeader('X-Token:  abc ', second)).toEqual({
      Accept: 'text/plain, text/html',
      'X-Token': 'abc',
    });
  });

  it('refuses lines that are not "Name: value"', () => {
    for (const text of ['NoColon', ': value', 'Bad Name: x', 'X: a\r\nInjected: y']) {
      expect(
        isRegetError(
          badInputOf(() => collectHeader(text)),
          'BAD_INPUT',
        ),
        text,
      ).toBe(true);
    }
  });
});

describe('parseHostKey (--host-key)', () => {
  it('accepts a SHA256 fingerprint as ssh-keygen prints it', () => {
    const fingerprint = `SHA256:${'A'.repeat(43)}`;
    expect(parseHostKey(fingerprint)).toBe(fingerprint);
  });

  it('refuses MD5 fingerprints and garbage', () => {
    for (const text of ['MD5:aa:bb', 'SHA256:short', 'abc']) {
      expect(
        isRegetError(
          badInputOf(() => parseHostKey(text)),
          'BAD_INPUT',
        ),
        text,
      ).toBe(true);
    }
  });
});
