import { ErrorCode, isRegetError } from '@reget/core';
import { describe, expect, it } from 'vitest';
import { parseConnections } from '../src/args.js';

function messageOf(text: string): string {
  try {
    parseConnections(text);
  } catch (error) {
    expect(isRegetError(error, ErrorCode.BAD_INPUT)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected BAD_INPUT, nothing was thrown');
}

describe('-c given a URL, as wget and aria2 users type it', () => {
  it('never shows the password of that URL (found by a property test)', () => {
    expect(messageOf('https://alice:s3cret@example.com/f')).not.toContain('s3cret');
    expect(messageOf('https://a:\u0000\u0000\u0000\u0000\u0000\u0000@example.com/file')).not.toContain(
      '\u0000',
    );
  });

  it('says so on one line (found by a property test: "\\nttps://host/file")', () => {
    for (const text of ['\nttps://host/file', 'https://ho st/\n', '-\n5', 'ftp://h/a\u0085\u0000']) {
      expect(messageOf(text), text).not.toMatch(/[\r\n\u0085]/);
    }
  });
});
