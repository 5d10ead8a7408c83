import { describe, expect, it } from 'vitest';
import { mdtmTime, mdtmValidator, parseMdtmReply, parseSizeReply } from './replies.js';

describe('parseSizeReply (FAULTS FTP-03, SEC-08)', () => {
  it('reads a plain 213 reply', () => {
    expect(parseSizeReply('213 51')).toBe(51);
    expect(parseSizeReply('213 0')).toBe(0);
    expect(parseSizeReply('213 9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('treats odd, negative, partial and oversized answers as unknown', () => {
    for (const reply of [
      '213 file: 213, Size =51',
      '213 -6',
      '213 12abc',
      '213 51, some commentary',
      '213 9007199254740992',
      '213 36893488147419103232',
      '213 ',
      '500 Unknown command.',
    ]) {
      expect(parseSizeReply(reply), reply).toBeUndefined();
    }
  });
});

describe('parseMdtmReply (RFC 3659 §3)', () => {
  it('keeps the timestamp as the server wrote it, fractions included', () => {
    expect(parseMdtmReply('213 20260102030405')).toBe('20260102030405');
    expect(parseMdtmReply('213 20260102030405.678')).toBe('20260102030405.678');
  });

  it('treats anything else as no timestamp', () => {
    for (const reply of [
      '213 191000102030405',
      '213 2026-01-02 03:04:05',
      '550 No such file.',
      '213 2026010203040',
    ]) {
      expect(parseMdtmReply(reply), reply).toBeUndefined();
    }
  });

  it('reads a year below 100 as written, not as 19xx (found by a property test)', () => {
    expect(mdtmTime('00991231235959')?.toISOString()).toBe('0099-12-31T23:59:59.000Z');
    expect(mdtmTime('00040229120000.5')?.toISOString()).toBe('0004-02-29T12:00:00.500Z');
    expect(mdtmTime('00010229120000')).toBeUndefined();
  });

  it('turns a timestamp into a weak mdtm: validator', () => {
    expect(mdtmValidator('20260102030405')).toEqual({ value: 'mdtm:20260102030405', isStrong: false });
    expect(mdtmValidator(undefined)).toBeUndefined();
  });
});
