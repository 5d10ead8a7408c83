import { describe, expect, it } from 'vitest';
import { fileNameFromDisposition } from './disposition.js';
import { parseRetryAfter } from './retry-after.js';

describe('fileNameFromDisposition (FAULTS SEC-01: parsed here, sanitised by core)', () => {
  it('reads filename, quoted or not', () => {
    expect(fileNameFromDisposition('attachment; filename="report.pdf"')).toBe('report.pdf');
    expect(fileNameFromDisposition('attachment; filename=report.pdf')).toBe('report.pdf');
    expect(fileNameFromDisposition('attachment; filename="a \\"b\\".txt"')).toBe('a "b".txt');
  });

  it('prefers filename* (RFC 8187) and decodes it', () => {
    const header = `attachment; filename="rates.txt"; filename*=UTF-8''%E2%82%AC%20rates.txt`;
    expect(fileNameFromDisposition(header)).toBe('€ rates.txt');
  });

  it('hands hostile names over raw, for core to reduce', () => {
    expect(fileNameFromDisposition('attachment; filename="../../.bashrc"')).toBe('../../.bashrc');
  });

  it('gives undefined without a name', () => {
    expect(fileNameFromDisposition('inline')).toBeUndefined();
    expect(fileNameFromDisposition(undefined)).toBeUndefined();
    expect(fileNameFromDisposition('attachment; filename=""')).toBeUndefined();
  });
});

describe('parseRetryAfter (FAULTS NET-06)', () => {
  const now = Date.parse('Tue, 24 Nov 2026 10:00:00 GMT');

  it('reads delay-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });

  it('ignores anything else', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('12abc', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
