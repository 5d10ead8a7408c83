import { ErrorCode, RegetError } from '@reget/core';
import { describe, expect, it } from 'vitest';
import { renderBar } from '../src/bar-line.js';
import type { Job } from '../src/job.js';
import { describeFailure, describeInterrupted, escapeControl } from '../src/messages.js';
import { SecretScrubber } from '../src/secrets.js';

const job: Job = {
  index: 0,
  url: new URL('https://alice:pw@example.com/big.iso'),
  displayUrl: 'https://example.com/big.iso',
  destination: '/tmp/big.iso',
  label: 'big.iso',
};

describe('renderBar (invariant 5: true progress)', () => {
  const base = { label: 'big.iso', bytesPerSecond: 1024 * 1024, etaSeconds: 30 };

  it('shows bytes on disk of the true total, percent, speed and ETA', () => {
    const line = renderBar({ ...base, bytesOnDisk: 512 * 1024 * 1024, total: 1024 * 1024 * 1024 });
    expect(line).toMatch(/ 50% /);
    expect(line).toContain('512 MiB/1.00 GiB');
    expect(line).toContain('1.00 MiB/s');
    expect(line).toContain('ETA 30s');
  });

  it('shows an unknown total as unknown: no percent, no ETA, no guessed bar', () => {
    const line = renderBar({ ...base, bytesOnDisk: 2048, total: undefined, etaSeconds: undefined });
    expect(line).toContain('2.00 KiB of unknown');
    expect(line).not.toMatch(/%|ETA|=/);
  });
});

describe('failure lines', () => {
  it('name the file and give one sentence, with a resume hint only when bytes are kept', () => {
    const error = new RegetError(ErrorCode.PARTIAL, 'The transfer ended early.');
    expect(describeFailure(job, error, undefined)).toBe('reget: big.iso: The transfer ended early.');
    expect(describeFailure(job, error, { bytesOnDisk: 1024, total: 4096 })).toBe(
      'reget: big.iso: The transfer ended early. 1.00 KiB of 4.00 KiB kept; run the same command again to resume.',
    );
  });

  it('give no resume hint for failures a rerun will not fix', () => {
    const error = new RegetError(ErrorCode.NOT_FOUND, 'Not found.');
    expect(describeFailure(job, error, { bytesOnDisk: 1024, total: 4096 })).toBe(
      'reget: big.iso: Not found.',
    );
  });

  it('say which flags handle an existing file', () => {
    expect(describeFailure(job, new RegetError(ErrorCode.EXISTS, 'Exists.'))).toMatch(
      /--overwrite.*--continue/,
    );
  });

  it('escape control characters a server may have put in a message', () => {
    const error = new RegetError(ErrorCode.PROTOCOL, 'Bad \u001b[31mred\nline');
    const line = describeFailure(undefined, error);
    expect(line).toBe('reget: Bad \\x1b[31mred\\x0aline.');
    expect(escapeControl('tab\there')).toBe('tab\\x09here');
  });

  it('an interruption says the partial is kept and how to resume', () => {
    expect(describeInterrupted(job, { bytesOnDisk: 2048, total: undefined })).toBe(
      'reget: big.iso: interrupted at 2.00 KiB; the partial is kept, run the same command again to resume.',
    );
  });
});

describe('SecretScrubber', () => {
  it('masks every registered secret in raw, encoded and decoded form', () => {
    const scrubber = new SecretScrubber();
    scrubber.add('p@ss word');
    scrubber.addUrl(new URL('https://bob:t%C3%B6ken123@example.com/'));
    const text = 'p@ss word p%40ss%20word tök en töken123 t%C3%B6ken123';
    expect(scrubber.scrub(text)).toBe('*** *** tök en *** ***');
  });

  it('ignores secrets too short to mask without hiding everything', () => {
    const scrubber = new SecretScrubber();
    scrubber.add('a');
    scrubber.add(undefined);
    expect(scrubber.scrub('a banana')).toBe('a banana');
  });
});
