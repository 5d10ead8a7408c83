import { RegetError } from '@reget/core';
import { describe, expect, it } from 'vitest';
import { safeRelativePath } from './index.js';

describe('safeRelativePath', () => {
  it.each([
    'a',
    'app-2.4.1.tar.gz',
    'docs/manual.pdf',
    'deep/er/still inside/file (1).txt',
    'ünïcødé/日本語.txt',
    'a..b',
    'x'.repeat(255),
  ])('keeps %j as it is', (name) => {
    expect(safeRelativePath(name)).toBe(name);
  });

  it.each([
    ['../x', 'parent-segment'],
    ['a/../../b', 'parent-segment'],
    ['a/..', 'parent-segment'],
    ['/etc/x', 'absolute'],
    ['C:\\x', 'backslash'],
    ['..\\x', 'backslash'],
    ['C:/x', 'windows-character'],
    ['file:stream', 'windows-character'],
    ['a?b', 'windows-character'],
    ['a\u0000b', 'control-character'],
    ['a\u001bb', 'control-character'],
    ['a\u007fb', 'control-character'],
    ['a\u009bb', 'control-character'],
    ['', 'empty'],
    ['a//b', 'empty-segment'],
    ['a/', 'empty-segment'],
    ['.', 'dot-segment'],
    ['./a', 'dot-segment'],
    ['.bashrc', 'dot-segment'],
    ['a/.ssh/authorized_keys', 'dot-segment'],
    ['a.', 'trailing-dot-or-space'],
    ['a /b', 'trailing-dot-or-space'],
    ['CON', 'windows-reserved'],
    ['dir/com1.log', 'windows-reserved'],
    ['x'.repeat(256), 'too-long'],
    [`${'a/'.repeat(2100)}a`, 'too-long'],
  ] as const)('refuses %j (%s)', (name, rule) => {
    let thrown: unknown;
    try {
      safeRelativePath(name);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RegetError);
    expect(thrown).toMatchObject({ code: 'BAD_INPUT', details: { unsafeName: rule } });
    // One printable line whatever the name holds.
    expect((thrown as RegetError).message).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
  });
});
