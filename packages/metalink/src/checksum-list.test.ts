import { parseChecksum, RegetError } from '@reget/core';
import { describe, expect, it } from 'vitest';
import { type ChecksumList, checksumFor, parseChecksumList, toChecksumOption } from './index.js';

const md5 = (digit: string) => digit.repeat(32);
const sha1 = (digit: string) => digit.repeat(40);
const sha256 = (digit: string) => digit.repeat(64);
const sha512 = (digit: string) => digit.repeat(128);

/** The BAD_INPUT error `action` throws, checked to be one printable line. */
function refusal(action: () => unknown): RegetError {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(RegetError);
  const error = thrown as RegetError;
  expect(error.code).toBe('BAD_INPUT');
  expect(error.message).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
  return error;
}

describe('parseChecksumList', () => {
  it('reads GNU lines, text ("  ") and binary (" *"), as sha256sum writes them', () => {
    // The shape of a distribution's SHA256SUMS: one file per line, some in directories.
    const list = parseChecksumList(
      [
        `${sha256('a')}  debian-12.8.0-amd64-netinst.iso`,
        `${sha256('B')} *debian-12.8.0-amd64-DVD-1.iso`,
        `${sha256('c')}  ./firmware/firmware.zip`,
        `${sha256('d')}  name with  two spaces and a trailing one `,
        `${sha256('e')} single-space.iso`,
      ].join('\n'),
    );
    expect(list.entries).toEqual([
      { name: 'debian-12.8.0-amd64-netinst.iso', algorithm: 'sha256', hex: sha256('a'), line: 1 },
      { name: 'debian-12.8.0-amd64-DVD-1.iso', algorithm: 'sha256', hex: sha256('b'), line: 2 },
      { name: './firmware/firmware.zip', algorithm: 'sha256', hex: sha256('c'), line: 3 },
      { name: 'name with  two spaces and a trailing one ', algorithm: 'sha256', hex: sha256('d'), line: 4 },
      { name: 'single-space.iso', algorithm: 'sha256', hex: sha256('e'), line: 5 },
    ]);
  });

  it("undoes GNU's escapes on a line that starts with a backslash, and only there", () => {
    const list = parseChecksumList(
      [
        `\\${sha256('1')}  back\\\\slash`,
        `\\${sha256('2')}  new\\nline`,
        `\\${sha256('3')} *carriage\\rreturn`,
        `${sha256('4')}  literal\\nstays`,
        `\\SHA1 (tagged\\\\name) = ${sha1('5')}`,
      ].join('\n'),
    );
    expect(list.entries.map((entry) => entry.name)).toEqual([
      'back\\slash',
      'new\nline',
      'carriage\rreturn',
      'literal\\nstays',
      'tagged\\name',
    ]);
  });

  it('reads BSD and GNU --tag lines, by tag, including names with parentheses and " = "', () => {
    const list = parseChecksumList(
      [
        `SHA256 (Fedora-Workstation-Live-41.iso) = ${sha256('a')}`,
        `MD5 (a (copy).txt) = ${md5('B')}`,
        `SHA512 (x) = (y) = ${sha512('c')}`,
        `SHA1 (z)= ${sha1('d')}`,
        `SHA2-256 (gnu-cksum.tar) = ${sha256('e')}`,
      ].join('\n'),
    );
    expect(list.entries.map(({ name, algorithm }) => [name, algorithm])).toEqual([
      ['Fedora-Workstation-Live-41.iso', 'sha256'],
      ['a (copy).txt', 'md5'],
      ['x) = (y', 'sha512'],
      ['z', 'sha1'],
      ['gnu-cksum.tar', 'sha256'],
    ]);
    expect(list.entries[1]?.hex).toBe(md5('b'));
  });

  it('tells algorithms apart by hex length in a mixed list, and skips blanks, comments, CRLF and a BOM', () => {
    const list = parseChecksumList(
      `\uFEFF# made by a release script\r\n\r\n${md5('1')}  a\r\n   \r\n${sha1('2')}  b\r\n  # indented comment\n${sha256('3')}  c\n${sha512('4')}  d\n`,
      { source: 'CHECKSUMS' },
    );
    expect(list.source).toBe('CHECKSUMS');
    expect(list.entries.map(({ name, algorithm, line }) => [name, algorithm, line])).toEqual([
      ['a', 'md5', 3],
      ['b', 'sha1', 5],
      ['c', 'sha256', 7],
      ['d', 'sha512', 8],
    ]);
  });

  it('reads a clear-signed list (its signature is not checked), undoing dash-escapes', () => {
    const signed = [
      '-----BEGIN PGP SIGNED MESSAGE-----',
      'Hash: SHA256',
      '',
      '# Fedora-Server-41.iso: 2700000000 bytes',
      `SHA256 (Fedora-Server-41.iso) = ${sha256('f')}`,
      `- ${sha256('0')}  -dash-name`,
      '-----BEGIN PGP SIGNATURE-----',
      '',
      'iQIzBAEBCAAdFiEE0000000000000000000000000000000000000000000000000000',
      '=abcd',
      '-----END PGP SIGNATURE-----',
    ].join('\n');
    const list = parseChecksumList(signed);
    expect(list.entries.map(({ name, line }) => [name, line])).toEqual([
      ['Fedora-Server-41.iso', 5],
      ['-dash-name', 6],
    ]);
  });

  it('holds every line to one algorithm when given one', () => {
    const list = parseChecksumList(`${sha256('a')}  a\nSHA256 (b) = ${sha256('b')}`, { algorithm: 'sha256' });
    expect(list.entries).toHaveLength(2);
    expect(
      refusal(() => parseChecksumList(`${sha256('a')}  a\n${md5('b')}  b`, { algorithm: 'sha256' })).details,
    ).toEqual({
      checksumList: 'bad-line',
      line: 2,
    });
    expect(
      refusal(() => parseChecksumList(`MD5 (a) = ${md5('a')}`, { algorithm: 'sha256' })).details.line,
    ).toBe(1);
    expect(
      refusal(() => parseChecksumList('', { algorithm: 'sha384' as 'sha256' })).details.checksumList,
    ).toBe('bad-option');
  });

  it('names the list and the line in the message, for a person to fix', () => {
    const error = refusal(() => parseChecksumList(`${sha256('a')}  a\n\n<html>`, { source: 'SHA256SUMS' }));
    expect(error.message).toMatch(/^line 3 of SHA256SUMS: /);
    expect(error.details).toEqual({ checksumList: 'bad-line', line: 3 });
  });

  it.each([
    ['an HTML error page', '<!DOCTYPE html>', 1],
    ['a hex of no known length', `${sha256('a').slice(1)}  a`, 1],
    ['an md5 one digit short', `${md5('a').slice(1)}  a`, 1],
    ['no name', `${sha256('a')}  `, 1],
    ['no separator', sha256('a'), 1],
    ['a tab separator', `${sha256('a')}\ta`, 1],
    ['an unknown tag', `SHA384 (a) = ${'0'.repeat(96)}`, 1],
    ['a tag whose hex does not fit', `SHA256 (a) = ${sha1('0')}`, 1],
    ['not hex after a tag', `SHA1 (a) = ${'g'.repeat(40)}`, 1],
    ['an unknown escape', `\\${sha256('a')}  a\\tb`, 1],
    ['a lone trailing backslash', `\\${sha256('a')}  a\\`, 1],
    ['a bad line after good ones', `${sha256('a')}  a\n# fine\nnot a checksum`, 3],
    ['a dangling signature start', `-----BEGIN PGP SIGNATURE-----\n${sha256('a')}  a`, 1],
  ])('refuses %s, naming its line', (_, text, line) => {
    expect(refusal(() => parseChecksumList(text)).details).toEqual({ checksumList: 'bad-line', line });
  });

  it('refuses input over the size cap before reading a line', () => {
    const text = `${sha256('a')}  a\n`.repeat(100);
    expect(refusal(() => parseChecksumList(text, { maxBytes: 1000 })).details).toEqual({
      checksumList: 'too-large',
    });
    expect(parseChecksumList(text).entries).toHaveLength(100);
  });
});

describe('checksumFor', () => {
  const list: ChecksumList = parseChecksumList(
    [
      `${md5('1')}  app-2.4.1.tar.gz`,
      `${sha256('2')}  app-2.4.1.tar.gz`,
      `${sha1('3')}  app-2.4.1.tar.gz`,
      `${sha256('4')}  ./amd64/netinst.iso`,
      `${sha256('5')}  arm64/netinst.iso`,
      `${sha256('6')}  amd64/only-here.iso`,
      `${sha256('7')}  docs/readme.txt`,
      `${sha256('7')}  mirror/docs/readme.txt`,
      `${sha256('8')}  conflict.bin`,
      `${sha256('9')}  conflict.bin`,
    ].join('\n'),
    { source: 'SHA256SUMS' },
  );

  it('takes the exact name, and the strongest of its lines', () => {
    expect(checksumFor(list, 'app-2.4.1.tar.gz')).toEqual({
      name: 'app-2.4.1.tar.gz',
      algorithm: 'sha256',
      hex: sha256('2'),
      line: 2,
    });
    expect(checksumFor(list, 'amd64/netinst.iso').hex).toBe(sha256('4'));
    expect(checksumFor(list, './arm64/netinst.iso').hex).toBe(sha256('5'));
  });

  it("falls back to the name's last path segment when no line has the exact name", () => {
    expect(checksumFor(list, 'only-here.iso').line).toBe(6);
    expect(checksumFor(list, 'downloads/app-2.4.1.tar.gz').hex).toBe(sha256('2'));
    // Two lines with that last segment and the same checksum agree: either will do.
    expect(checksumFor(list, 'readme.txt').hex).toBe(sha256('7'));
  });

  it('says when there is no line, never passing silently', () => {
    for (const name of ['missing.iso', '', 'APP-2.4.1.TAR.GZ', 'app-2.4.1.tar']) {
      expect(refusal(() => checksumFor(list, name)).details).toEqual({ checksumList: 'missing' });
    }
    expect(refusal(() => checksumFor(parseChecksumList(''), 'a')).details).toEqual({
      checksumList: 'missing',
    });
  });

  it('refuses to choose between lines that disagree', () => {
    expect(refusal(() => checksumFor(list, 'netinst.iso')).details).toEqual({ checksumList: 'ambiguous' });
    expect(refusal(() => checksumFor(list, 'conflict.bin')).details).toEqual({ checksumList: 'ambiguous' });
  });

  it("gives what core's --checksum takes", () => {
    const entry = checksumFor(list, 'app-2.4.1.tar.gz');
    expect(toChecksumOption(entry)).toBe(`sha256:${sha256('2')}`);
    expect(parseChecksum(toChecksumOption(entry))).toEqual({ algorithm: 'sha256', hex: sha256('2') });
  });
});
