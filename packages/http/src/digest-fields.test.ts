import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseInstanceDigest, parseReprDigest, publishedDigestsOf } from './digest-fields.js';

const file = Buffer.from('the file a mirror serves\n');
const digest = (algorithm: string) => createHash(algorithm).update(file);
const hex = (algorithm: string) => digest(algorithm).digest('hex');
const base64 = (algorithm: string) => digest(algorithm).digest('base64');

const md5 = { algorithm: 'md5', hex: hex('md5') };
const sha1 = { algorithm: 'sha1', hex: hex('sha1') };
const sha256 = { algorithm: 'sha256', hex: hex('sha256') };
const sha512 = { algorithm: 'sha512', hex: hex('sha512') };

describe('parseInstanceDigest (Digest, RFC 3230)', () => {
  it('reads MirrorBrain’s three Digest lines, as Node joins them, strongest first', () => {
    const joined = `MD5=${base64('md5')}, SHA=${base64('sha1')}, SHA-256=${base64('sha256')}`;
    expect(parseInstanceDigest(joined)).toEqual([sha256, sha1, md5]);
    expect(parseInstanceDigest([`MD5=${base64('md5')}`, `SHA-256=${base64('sha256')}`])).toEqual([
      sha256,
      md5,
    ]);
  });

  it('takes algorithm names in any case, SHA-1 as SHA, and base64 with or without padding', () => {
    const unpadded = base64('md5').replace(/=+$/, '');
    expect(
      parseInstanceDigest(`sha-512=${base64('sha512')},Sha-1=${base64('sha1')} , md5=${unpadded}`),
    ).toEqual([sha512, sha1, md5]);
  });

  it('skips unknown algorithms and malformed pairs, keeping the rest', () => {
    const header = [
      'UNIXsum=30637',
      `adler32=${base64('md5')}`,
      'SHA-256',
      `=${base64('sha256')}`,
      'SHA-256=not*base64',
      `SHA-256=${hex('sha256')}`, // hex where base64 belongs: decodes to 48 bytes, not 32
      `SHA-512=${base64('sha256')}`, // a SHA-256 value under the SHA-512 name
      `SHA-256=${base64('sha256').slice(0, -2)}AB=`, // not canonical base64
      `MD5=${base64('md5')}`,
    ].join(', ');
    expect(parseInstanceDigest(header)).toEqual([md5]);
  });

  it('drops an algorithm whose values contradict each other, keeps one given twice alike', () => {
    const other = createHash('sha256').update('another file').digest('base64');
    expect(
      parseInstanceDigest(`SHA-256=${base64('sha256')}, SHA-256=${other}, MD5=${base64('md5')}`),
    ).toEqual([md5]);
    expect(parseInstanceDigest(`SHA-256=${base64('sha256')}, sha-256=${base64('sha256')}`)).toEqual([sha256]);
  });

  it('is empty for no header or nothing usable', () => {
    expect(parseInstanceDigest(undefined)).toEqual([]);
    expect(parseInstanceDigest('')).toEqual([]);
    expect(parseInstanceDigest(',,, ;=')).toEqual([]);
  });
});

describe('parseReprDigest (Repr-Digest, RFC 9530)', () => {
  it('reads RFC 9530’s sha-256 and sha-512 byte sequences, strongest first', () => {
    const header = `sha-256=:${base64('sha256')}:, sha-512=:${base64('sha512')}:`;
    expect(parseReprDigest(header)).toEqual([sha512, sha256]);
  });

  it('reads the deprecated md5 and sha keys, which some servers (XRootD) still send', () => {
    expect(parseReprDigest(`md5=:${base64('md5')}:, sha=:${base64('sha1')}:`)).toEqual([sha1, md5]);
  });

  it('reads several field lines as one dictionary, a repeated key’s last value winning (RFC 9651)', () => {
    const old = createHash('sha256').update('old').digest('base64');
    expect(parseReprDigest([`sha-256=:${old}:`, `sha-256=:${base64('sha256')}:`])).toEqual([sha256]);
  });

  it('ignores parameters, unknown keys and values that are not digests of the right length', () => {
    const header = [
      `sha-256=:${base64('sha256')}:;note=1`,
      `crc32c=:AAAAAA==:`,
      `md5=:${base64('sha1')}:`,
      'sha=?1',
      `sha-512=(:${base64('sha512')}:)`,
    ].join(', ');
    expect(parseReprDigest(header)).toEqual([sha256]);
  });

  it('ignores the whole field when it is not a Structured Fields Dictionary', () => {
    for (const header of [
      `SHA-256=:${base64('sha256')}:`, // keys are lower case
      `sha-256=${base64('sha256')}`, // RFC 3230 syntax under the new name
      `sha-256=:${base64('sha256')}:, md5=:not base64:`,
      `sha-256=:${base64('sha256')}`,
    ]) {
      expect(parseReprDigest(header)).toEqual([]);
    }
  });
});

describe('publishedDigestsOf', () => {
  it('prefers Repr-Digest to Digest for one algorithm, and never reads Content-Digest', () => {
    const stale = createHash('sha256').update('stale').digest('base64');
    const headers = {
      'repr-digest': `sha-256=:${base64('sha256')}:`,
      digest: `SHA-256=${stale}, MD5=${base64('md5')}`,
      'content-digest': `sha-512=:${base64('sha512')}:`,
    };
    expect(publishedDigestsOf(headers)).toEqual([sha256, md5]);
    expect(publishedDigestsOf({ 'content-digest': headers['content-digest'] })).toEqual([]);
  });
});
