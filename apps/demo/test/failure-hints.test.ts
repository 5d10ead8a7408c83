import { Writable } from 'node:stream';
import { type DownloadEvent, ErrorCode, RegetError } from '@reget/core';
import { describe, expect, it } from 'vitest';
import { usageErrorLine } from '../src/cli.js';
import type { Job } from '../src/job.js';
import { JsonReporter } from '../src/json-events.js';
import {
  describeBatch,
  describeDiskStall,
  describeFailure,
  describeHostKeyAdded,
  describeRetry,
} from '../src/messages.js';
import { SecretScrubber } from '../src/secrets.js';

const job: Job = {
  index: 0,
  url: new URL('ftp://alice@example.com/big.iso'),
  displayUrl: 'ftp://example.com/big.iso',
  destination: '/tmp/big.iso',
  label: 'big.iso',
  passwordSource: undefined,
  isRestartRefused: false,
};
const fingerprint = `SHA256:${'A'.repeat(43)}`;

describe('failure lines say what to do, from the error code (tests assert hint words, not sentences)', () => {
  it("an existing file that is not the remote's: the flags that replace or resume it", () => {
    const line = describeFailure(job, new RegetError(ErrorCode.EXISTS, 'Exists.'));
    expect(line).toContain('--overwrite');
    expect(line).toContain('--continue to resume');
    expect(line).toContain("not the remote's current version");
  });

  it('a locked file: another reget and its process, wait; no "run again to resume"', () => {
    const error = new RegetError(
      ErrorCode.LOCKED,
      '/tmp/big.iso is already being downloaded by process 4242.',
    );
    const line = describeFailure(job, error, { bytesOnDisk: 1024, total: 4096 });
    expect(line).toContain('another reget (process 4242)');
    expect(line).toContain('wait for it to finish');
    expect(line).not.toContain('run the same command again');
  });

  it('--no-restart refusals name the way out, not the core wording', () => {
    const refused = { ...job, isRestartRefused: true };
    const changed = new RegetError(
      ErrorCode.REMOTE_CHANGED,
      'The remote changed (remote changed), and restarting was refused.',
    );
    const changedLine = describeFailure(refused, changed);
    expect(changedLine).toContain('changed since the partial was fetched');
    expect(changedLine).toContain('without --no-restart');
    expect(changedLine).toContain('--restart');
    expect(changedLine).not.toContain('(remote changed)');
    const ranges = describeFailure(refused, new RegetError(ErrorCode.RANGE_NOT_SUPPORTED, 'No ranges.'));
    expect(ranges).toContain('without --no-restart');
    // Without --no-restart, REMOTE_CHANGED is core giving up after restarts: its own sentence stays.
    expect(describeFailure(job, changed)).toContain('restarting was refused');
  });

  it('a refused login without any password says how to give one', () => {
    const error = new RegetError(
      ErrorCode.AUTH,
      'The FTP server example.com:21 refused the login of "alice" (530).',
    );
    const line = describeFailure(job, error);
    expect(line).toContain('no password given');
    expect(line).toContain('REGET_PASSWORD');
    expect(line).toContain('--password-prompt');
    expect(describeFailure({ ...job, passwordSource: 'environment' }, error)).not.toContain('REGET_PASSWORD');
    const anonymous = describeFailure({ ...job, url: new URL('ftp://example.com/big.iso') }, error);
    expect(anonymous).toContain('user@example.com');
    const sftp = describeFailure({ ...job, url: new URL('sftp://example.com/big.iso') }, error);
    expect(sftp).toContain('--identity');
  });

  it('a certificate that cannot be verified points to --ca and --insecure; other TLS failures do not', () => {
    const cause = Object.assign(new Error('self-signed certificate'), {
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    const line = describeFailure(job, new RegetError(ErrorCode.TLS, 'Not verified.', { cause }));
    expect(line).toContain('--ca <file>');
    expect(line).toContain('--insecure');
    const refused = new RegetError(ErrorCode.TLS, 'The FTP server refused AUTH TLS.', {
      cause: new Error('534'),
    });
    expect(describeFailure(job, refused)).not.toContain('--ca');
  });

  it('an unknown host key points to --host-key with the fingerprint and --accept-new-host-key', () => {
    const hostKey = {
      reason: 'unknown' as const,
      host: '[example.com]:2222',
      fingerprint,
      files: ['/home/a/.ssh/known_hosts'],
    };
    const line = describeFailure(
      job,
      new RegetError(ErrorCode.HOST_KEY, 'Unknown host.', { details: { hostKey } }),
    );
    expect(line).toContain(`--host-key ${fingerprint}`);
    expect(line).toContain('--accept-new-host-key');
    expect(line).toContain('/home/a/.ssh/known_hosts');
  });

  it('a changed host key points to ssh-keygen -R, never to --accept-new-host-key', () => {
    const hostKey = { reason: 'changed' as const, host: '[example.com]:2222', fingerprint, files: ['/k'] };
    const line = describeFailure(
      job,
      new RegetError(ErrorCode.HOST_KEY, 'Changed.', { details: { hostKey } }),
    );
    expect(line).toContain("ssh-keygen -R '[example.com]:2222' -f /k");
    expect(line).not.toContain('--accept-new-host-key');
  });
});

describe('other lines', () => {
  const retry = (code: ErrorCode): Extract<DownloadEvent, { type: 'retry' }> => ({
    type: 'retry',
    attempt: 1,
    delayMs: 400,
    error: new RegetError(code, 'The transfer from example.com ended after 25060966 of 48339148 bytes.'),
    bytesOnDisk: 25_060_966,
    total: 48_339_148,
  });

  it('a retry after a cut says where the file stands, in human units, and the delay in seconds', () => {
    const line = describeRetry(job, retry(ErrorCode.PARTIAL));
    expect(line).toContain('the connection ended at 23.9 MiB of 46.1 MiB');
    expect(line).toContain('retrying in 0.4 s (attempt 2)');
    expect(line).not.toContain('25060966');
  });

  it('a slow disk is said to be the disk, not the server', () => {
    const line = describeDiskStall(job, { type: 'disk-stall', operation: 'flush', waitedMs: 61_400 });
    expect(line).toContain('a flush of the partial file has taken 61 s');
    expect(line).toContain('not the cause');
  });

  it('a retry for another cause keeps its message', () => {
    expect(describeRetry(job, retry(ErrorCode.NETWORK))).toContain('ended after');
  });

  it('the batch line counts what was saved, already complete, failed and interrupted', () => {
    expect(describeBatch({ saved: 3, alreadyComplete: 0, failed: 1, interrupted: 0 })).toBe(
      'reget: 3 saved, 1 failed.',
    );
    expect(describeBatch({ saved: 1, alreadyComplete: 2, failed: 0, interrupted: 1 })).toBe(
      'reget: 1 saved, 2 already complete, 1 interrupted.',
    );
  });

  it('a host key added on first use is said like OpenSSH says it', () => {
    const line = describeHostKeyAdded({ host: '[h]:2', keyType: 'ssh-ed25519', fingerprint, file: '/k' });
    expect(line).toMatch(/permanently added .*\[h\]:2.*ssh-ed25519.*\/k/);
  });

  it('commander errors stay one line and point to --help', () => {
    expect(usageErrorLine("error: unknown option '--insecur'\n(Did you mean --insecure?)\n")).toBe(
      "reget: unknown option '--insecur' (did you mean --insecure?); see reget --help.",
    );
    expect(usageErrorLine("error: option '-j <n>' argument '0' is invalid.\n")).not.toContain('--help');
  });
});

describe('secrets in URLs', () => {
  it('the scrubber redacts credentials and signed-URL parameters in any URL it prints', () => {
    const scrubber = new SecretScrubber();
    const text =
      'see https://bucket.s3.example.com/a.iso?X-Amz-Signature=deadbeef&x=1, and ftp://bob:pw@h/f.';
    const scrubbed = scrubber.scrub(text);
    expect(scrubbed).not.toContain('deadbeef');
    expect(scrubbed).not.toContain('bob:pw');
    expect(scrubbed).toContain('X-Amz-Signature=REDACTED&x=1,');
    expect(scrubbed).toMatch(/ftp:\/\/h\/f\.$/);
  });

  it('leaves a URL with nothing to hide exactly as written', () => {
    const text = 'http://Example.com/a%20b/../c?q=1.';
    expect(new SecretScrubber().scrub(text)).toBe(text);
  });

  it("--json: an event's own URL never replaces the job's redacted one", () => {
    let written = '';
    const stdout = new Writable({
      write(chunk, _encoding, done) {
        written += String(chunk);
        done();
      },
    });
    const reporter = new JsonReporter({ stdout, stderr: stdout, scrub: (text) => text, isDebug: false });
    const signed = 'https://cdn.example.com/big.iso?token=s3cr3t-token';
    reporter.event(job, { type: 'probe', url: signed, total: 10, acceptsRanges: true });
    const record = JSON.parse(written) as Record<string, unknown>;
    expect(record.url).toBe(job.displayUrl);
    expect(record.finalUrl).toBe('https://cdn.example.com/big.iso?token=REDACTED');
    expect(written).not.toContain('s3cr3t-token');
  });
});
