import { ErrorCode, type RegetError } from '@reget/core';
import { describe, expect, it } from 'vitest';
import { jobIdFor } from './job.js';
import { checkRequest, type DownloadRequest } from './producer.js';

/** The producer's checks: what may enter Redis, and under which id. */

function refusal(request: DownloadRequest): RegetError {
  try {
    checkRequest(request);
  } catch (error) {
    return error as RegetError;
  }
  throw new Error(`accepted ${JSON.stringify(request)}`);
}

describe('job ids', () => {
  it('derive from the destination alone: one id per file, whatever the URL', () => {
    expect(jobIdFor('data/a.bin')).toBe(jobIdFor('data/a.bin'));
    expect(jobIdFor('data/a.bin')).not.toBe(jobIdFor('data/b.bin'));
    expect(jobIdFor('data/a.bin')).toMatch(/^reget-[0-9a-f]{40}$/);
    // BullMQ reserves ':' in custom ids and refuses integers.
    expect(jobIdFor('x:y')).not.toContain(':');
  });
});

describe('secrets never enter Redis', () => {
  it('refuses a URL with a password, and never repeats it', () => {
    const error = refusal({
      url: 'sftp://backup:hunter2-secret@archive.example.org/x.tar',
      destination: 'x.tar',
    });
    expect(error.code).toBe(ErrorCode.BAD_INPUT);
    expect(error.message).not.toContain('hunter2-secret');
    expect(refusal({ url: 'https://:pw-only@example.org/x', destination: 'x' }).code).toBe(
      ErrorCode.BAD_INPUT,
    );
  });

  it('refuses a mirror with a password too, and keeps clean mirrors in the job', () => {
    const error = refusal({
      url: 'https://example.org/x.bin',
      mirrors: ['ftp://anna:mirror-secret@mirror.example.net/x.bin'],
      destination: 'x.bin',
    });
    expect(error.code).toBe(ErrorCode.BAD_INPUT);
    expect(error.message).not.toContain('mirror-secret');
    expect(
      checkRequest({
        url: 'https://example.org/x.bin',
        mirrors: ['sftp://mirror.example.net/x.bin'],
        destination: 'x.bin',
      }).mirrors,
    ).toEqual(['sftp://mirror.example.net/x.bin']);
  });

  it('refuses signed URLs and token parameters, and never repeats them', () => {
    for (const query of ['X-Amz-Signature=abc123', 'token=abc123', 'Access_Token=abc123', 'sig=abc123']) {
      const error = refusal({ url: `https://cdn.example.org/x.bin?${query}`, destination: 'x.bin' });
      expect(error.code, query).toBe(ErrorCode.BAD_INPUT);
      expect(error.message).not.toContain('abc123');
    }
  });

  it('accepts a user name alone and ordinary query parameters', () => {
    expect(checkRequest({ url: 'sftp://backup@archive.example.org/x.tar', destination: 'a/x.tar' })).toEqual({
      url: 'sftp://backup@archive.example.org/x.tar',
      destination: 'a/x.tar',
    });
    expect(checkRequest({ url: 'https://example.org/x?version=2', destination: 'x' }).url).toBe(
      'https://example.org/x?version=2',
    );
  });
});

describe('destinations stay inside the root', () => {
  it.each([
    '/etc/passwd',
    '../outside.bin',
    'a/../../outside.bin',
    'a/..',
    './a.bin',
    'a//b.bin',
    'a/',
    '',
    'C:evil.dll',
    'a\\..\\b',
    'a\u0000b',
    'line\nbreak',
  ])('refuses %j', (destination) => {
    expect(refusal({ url: 'https://example.org/x', destination }).code).toBe(ErrorCode.BAD_INPUT);
  });

  it('refuses a bad checksum and a URL no adapter could read, before anything is queued', () => {
    expect(refusal({ url: 'https://example.org/x', destination: 'x', checksum: 'sha256:zz' }).code).toBe(
      ErrorCode.BAD_INPUT,
    );
    expect(refusal({ url: 'not a url', destination: 'x' }).code).toBe(ErrorCode.BAD_INPUT);
  });
});
