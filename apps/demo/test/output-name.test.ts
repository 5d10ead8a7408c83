import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { isRegetError } from '@reget/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertDistinctDestinations,
  assertOutputDirectory,
  explicitDestination,
  outputFileName,
  placeInDirectory,
} from '../src/output-name.js';

/** Every name reget picks must be one plain segment: no separator, no dot-name, no control character. */
function expectSafe(name: string): void {
  expect(name).not.toMatch(/[/\\]/);
  expect(name).not.toMatch(/^\.\.?$/);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
  expect(name).not.toMatch(/[\u0000-\u001f\u007f]/);
}

describe('outputFileName (FAULTS SEC-01)', () => {
  it('takes the last path segment, percent-decoded', () => {
    expect(outputFileName(new URL('https://example.com/pub/my%20file.iso?x=1#top'))).toBe('my file.iso');
  });

  it('cannot climb out with ../ segments (the URL parser already removes them)', () => {
    const name = outputFileName(new URL('http://example.com/../../etc/passwd'));
    expect(name).toBe('passwd');
  });

  it('treats %2F and %5C as separators after decoding and keeps only the last part', () => {
    for (const path of [
      '/a%2F..%2F..%2Fetc%2Fpasswd',
      '/x%5C..%5Cwindows%5Cevil.dll',
      '/%2E%2E%2F%2E%2E%2Fpasswd',
    ]) {
      const name = outputFileName(new URL(`http://example.com${path}`));
      expectSafe(name);
      expect(name.endsWith('passwd') || name.endsWith('evil.dll')).toBe(true);
    }
  });

  it('never returns . or .., even when they are spelled with escapes', () => {
    for (const path of ['/%2E%2E', '/%2e', '/dir/%2E%2E/']) {
      const name = outputFileName(new URL(`http://example.com${path}`));
      expectSafe(name);
    }
  });

  it('drops control characters (a terminal escape in a file name)', () => {
    const name = outputFileName(new URL('http://example.com/evil%1B%5B31mred%0A.txt'));
    expectSafe(name);
    expect(name).toContain('red');
  });

  it('falls back to index.html for HTTP and "download" elsewhere when nothing is left', () => {
    expect(outputFileName(new URL('https://example.com/'))).toBe('index.html');
    expect(outputFileName(new URL('https://example.com'))).toBe('index.html');
    expect(outputFileName(new URL('http://example.com/dir/'))).toBe('index.html');
    expect(outputFileName(new URL('ftp://example.com/pub/'))).toBe('download');
  });

  it('uses a server suggestion only when it is safe, and otherwise the URL', () => {
    const url = new URL('https://example.com/get?id=7');
    expect(outputFileName(url, 'report.pdf')).toBe('report.pdf');
    for (const suggestion of ['../../.bashrc', 'C:evil.dll', '..', '.bashrc', '']) {
      const name = outputFileName(url, suggestion);
      expectSafe(name);
      expect(name).not.toBe('.bashrc');
      expect(name).not.toContain(':');
    }
    expect(outputFileName(url, 'log\\server\\x')).toBe('x');
  });
});

describe('placeInDirectory', () => {
  it('resolves a safe name inside the directory', () => {
    expect(placeInDirectory('downloads', 'a.iso')).toBe(resolve('downloads', 'a.iso'));
  });

  it('refuses a name that would land outside or on the directory itself', () => {
    for (const name of ['../x', '..', '', `sub${sep}..${sep}..${sep}x`, '/etc/passwd']) {
      expect(() => placeInDirectory('downloads', name)).toThrow(/outside/);
    }
  });
});

describe('explicitDestination', () => {
  it('puts a relative -o inside -d, and leaves an absolute one alone', () => {
    expect(explicitDestination('out.bin', 'dl')).toBe(resolve('dl', 'out.bin'));
    expect(explicitDestination('/tmp/out.bin', 'dl')).toBe('/tmp/out.bin');
    expect(explicitDestination('out.bin', undefined)).toBe(resolve('out.bin'));
  });
});

describe('assertDistinctDestinations', () => {
  it('refuses two URLs that would be saved as the same file', () => {
    const entries = [
      { destination: '/d/file.iso', displayUrl: 'http://a/file.iso' },
      { destination: '/d/file.iso', displayUrl: 'http://b/file.iso' },
    ];
    expect(() => assertDistinctDestinations(entries)).toThrow(
      /http:\/\/a\/file\.iso and http:\/\/b\/file\.iso/,
    );
    expect(() => assertDistinctDestinations(entries.slice(0, 1))).not.toThrow();
  });
});

describe('assertOutputDirectory', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-output-name-'));
    await writeFile(join(directory, 'plain-file'), 'x');
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it('accepts an existing directory', async () => {
    await expect(assertOutputDirectory(directory)).resolves.toBeUndefined();
  });

  it('refuses a missing directory or a file with LOCAL_IO', async () => {
    for (const path of [join(directory, 'missing'), join(directory, 'plain-file')]) {
      const error = await assertOutputDirectory(path).catch((caught: unknown) => caught);
      expect(isRegetError(error, 'LOCAL_IO')).toBe(true);
    }
  });
});
