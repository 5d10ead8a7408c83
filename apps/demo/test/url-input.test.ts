import { Readable } from 'node:stream';
import { ErrorCode, isRegetError } from '@reget/core';
import { describe, expect, it } from 'vitest';
import { parseInputLine, parseUserUrl, readInputFile } from '../src/url-input.js';

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isRegetError(error, ErrorCode.BAD_INPUT)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected BAD_INPUT, nothing was thrown');
}

describe('URLs a user typed', () => {
  it('are refused on one line whatever control characters they hold (found by a property test: "\\r")', async () => {
    expect(messageOf(() => parseUserUrl('\r'))).not.toMatch(/[\r\n]/);
    expect(messageOf(() => parseUserUrl('example.com/a\u0085b'))).not.toContain('\u0085');
    expect(messageOf(() => parseInputLine({ text: '\u0085', where: 'list\n.txt:1' }))).not.toMatch(
      /[\n\u0085]/,
    );
    const [line] = await readInputFile('-', Readable.from(['\u0085\n']));
    expect(line).toEqual({ text: '\u0085', where: '-:1' });
    await expect(readInputFile('/nonexistent/a\nb', Readable.from([]))).rejects.toSatisfy(
      (error) => isRegetError(error, ErrorCode.BAD_INPUT) && !/[\r\n]/.test((error as Error).message),
    );
  });

  it('never show a password that holds an @, typed without a scheme (found by a property test)', () => {
    const shrunk = messageOf(() => parseUserUrl('https::@  \u0000\u0000\u0000\u0000@example.com/file.bin'));
    expect(shrunk).not.toMatch(/ {2}|\\x00/);
    expect(messageOf(() => parseUserUrl('alice:p@ss word@example.com/x'))).not.toMatch(/p@ss|ss word/);
  });
});
