import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, RegetError } from '@reget/core';
import { UnrecoverableError } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withCredentials } from './credentials.js';
import { prepareDestination } from './destination.js';
import { jobFailure } from './failure.js';
import { ProgressReporter } from './progress.js';

/** The worker's parts that need no Redis: failure mapping, credentials, the root, progress. */

describe('failure mapping', () => {
  it('fails a job at once on an error retrying cannot fix', () => {
    for (const code of [ErrorCode.NOT_FOUND, ErrorCode.AUTH, ErrorCode.CHECKSUM, ErrorCode.BAD_INPUT]) {
      const failure = jobFailure(new RegetError(code, 'It went wrong.'));
      expect(failure, code).toBeInstanceOf(UnrecoverableError);
      expect(failure.message).toBe(`${code}: It went wrong.`);
    }
  });

  it("leaves retryable errors and LOCKED to the job's attempts and backoff", () => {
    for (const code of [ErrorCode.NETWORK, ErrorCode.TIMEOUT, ErrorCode.PARTIAL, ErrorCode.LOCKED]) {
      expect(jobFailure(new RegetError(code, 'Again.')), code).not.toBeInstanceOf(UnrecoverableError);
    }
    const refused = new RegetError(ErrorCode.NETWORK, 'No.', { retryable: false });
    expect(jobFailure(refused)).toBeInstanceOf(UnrecoverableError);
  });

  it('stores no stack trace (BullMQ keeps it in Redis, dashboards show it)', () => {
    const failure = jobFailure(new RegetError(ErrorCode.AUTH, 'Login refused.'));
    expect(failure.stack).toBe('UnrecoverableError: AUTH: Login refused.');
    expect(jobFailure(new TypeError('boom')).stack).toBe('Error: boom');
  });
});

describe('credentials per host', () => {
  const credentials = {
    'sftp://archive.example.org:2222': { username: 'backup', password: 'p@ss/word' },
    'ftp.example.org': { username: 'anon', password: 'x' },
  };

  it('adds the login of the host (with port) or host name, encoded, and nothing elsewhere', () => {
    const sftp = withCredentials(new URL('sftp://archive.example.org:2222/x'), credentials);
    expect(decodeURIComponent(sftp.password)).toBe('p@ss/word');
    expect(sftp.username).toBe('backup');
    expect(withCredentials(new URL('ftp://ftp.example.org/x'), credentials).username).toBe('anon');
    expect(withCredentials(new URL('sftp://archive.example.org/x'), credentials).password).toBe('');
    expect(withCredentials(new URL('https://constructor/x'), credentials).password).toBe('');
  });

  it('takes a function of the URL', () => {
    const url = withCredentials(new URL('https://a.example/x'), (u) => ({ username: u.hostname }));
    expect(url.username).toBe('a.example');
  });
});

describe('the root', () => {
  let root: string;
  let outside: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'reget-root-'));
    outside = await mkdtemp(join(tmpdir(), 'reget-outside-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('creates the directories of a destination inside it', async () => {
    const path = await prepareDestination(root, 'a/b/c.bin');
    expect(path).toBe(join(root, 'a', 'b', 'c.bin'));
    expect(await readdir(join(root, 'a'))).toEqual(['b']);
  });

  it('refuses a symlink out of the root before creating anything behind it', async () => {
    await symlink(outside, join(root, 'escape'));
    const error = await prepareDestination(root, 'escape/deeper/x.bin').catch((caught: RegetError) => caught);
    expect((error as RegetError).code).toBe(ErrorCode.BAD_INPUT);
    expect(await readdir(outside)).toEqual([]);
  });

  it('follows a symlink that stays inside the root', async () => {
    await mkdir(join(root, 'real'));
    await symlink(join(root, 'real'), join(root, 'alias'));
    expect(await prepareDestination(root, 'alias/x.bin')).toBe(join(root, 'real', 'x.bin'));
  });

  it('refuses a root that does not exist', async () => {
    const error = await prepareDestination(join(root, 'missing'), 'x.bin').catch(
      (caught: RegetError) => caught,
    );
    expect((error as RegetError).code).toBe(ErrorCode.LOCAL_IO);
  });
});

describe('progress updates', () => {
  it('are throttled to one per interval and one in flight, carrying the latest figures', async () => {
    let now = 0;
    const sent: unknown[] = [];
    let finish!: () => void;
    const reporter = new ProgressReporter(
      async (progress) => {
        sent.push(progress);
        await new Promise<void>((resolve) => {
          finish = resolve;
        });
      },
      1_000,
      () => now,
    );
    const progress = (bytesOnDisk: number) =>
      reporter.onEvent({
        type: 'progress',
        bytesOnDisk,
        total: 100,
        bytesPerSecond: 10.4,
        etaSeconds: 1,
        connections: 1,
      } as Parameters<ProgressReporter['onEvent']>[0]);
    progress(1);
    progress(2);
    now = 500;
    progress(3);
    expect(sent).toEqual([{ bytesOnDisk: 1, total: 100, bytesPerSecond: 10, progress: 1 }]);
    now = 2_000;
    progress(4);
    expect(sent).toHaveLength(1); // the first is still in flight
    finish();
    await reporter.settle();
    progress(5);
    expect(sent).toEqual([
      { bytesOnDisk: 1, total: 100, bytesPerSecond: 10, progress: 1 },
      { bytesOnDisk: 5, total: 100, bytesPerSecond: 10, progress: 5 },
    ]);
    finish();
    await reporter.settle();
    expect(reporter.sent).toBe(2);
  });
});
