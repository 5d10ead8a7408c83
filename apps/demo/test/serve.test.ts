import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeContent } from '@reget/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, linesOf, runCli, startCli } from './cli-process.js';
import { fileHash, sha256 } from './http-fixture.js';

const content = makeContent(400 * 1024, 11);
let root: string;
let served: string;
let directoryCount = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'reget-cli-serve-'));
  served = join(root, 'served');
  await mkdir(join(served, 'sub'), { recursive: true });
  await writeFile(join(served, 'file.bin'), content);
  await writeFile(join(served, 'sub', 'note.txt'), 'hello\n');
  await buildCli();
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function newDirectory(): Promise<string> {
  directoryCount += 1;
  const directory = join(root, `download-${directoryCount}`);
  await mkdir(directory);
  return directory;
}

/** The first group (or the whole match) of `pattern` in `text`; fails showing the text when absent. */
function find(pattern: RegExp, text: string): string {
  const match = pattern.exec(text);
  expect(match, text).not.toBeNull();
  return match![1] ?? match![0];
}

describe('reget serve', () => {
  it('serves a folder over HTTP and SFTP for the CLI, and stops with exit 0 on Ctrl-C', async () => {
    const serve = startCli(['serve', served]);
    try {
      await serve.waitForOutput(/Press Ctrl-C to stop\./);
      const banner = serve.stdout();
      const httpUrl = find(/http:\/\/127\.0\.0\.1:\d+\/file\.bin/, banner);
      expect(banner).toMatch(/http:\/\/127\.0\.0\.1:\d+\/sub\/note\.txt/);
      const httpDirectory = await newDirectory();
      const http = await runCli(['-q', '-d', httpDirectory, httpUrl]);
      expect({ code: http.code, stderr: http.stderr }).toEqual({ code: 0, stderr: '' });
      expect(await fileHash(join(httpDirectory, 'file.bin'))).toBe(sha256(content));

      // The printed login and host key are what the CLI needs for SFTP.
      const password = find(/password (\S+)/, banner);
      const hostKey = find(/--host-key (SHA256:\S+)/, banner);
      const sftpUrl = find(/sftp:\/\/reget@127\.0\.0\.1:\d+\/file\.bin/, banner);
      const sftpDirectory = await newDirectory();
      const sftp = await runCli(['-q', '--host-key', hostKey, '-d', sftpDirectory, sftpUrl], {
        env: { REGET_PASSWORD: password },
      });
      expect({ code: sftp.code, stderr: sftp.stderr }).toEqual({ code: 0, stderr: '' });
      expect(await fileHash(join(sftpDirectory, 'file.bin'))).toBe(sha256(content));
    } finally {
      serve.child.kill('SIGINT');
    }
    const stopped = await serve.exited;
    expect({ code: stopped.code, stderr: stopped.stderr }).toEqual({
      code: 0,
      stderr: 'reget serve: stopped.\n',
    });
  }, 60_000);

  it('with --flaky, cuts connections and the CLI still ends with the exact file over FTP', async () => {
    const serve = startCli(['serve', '--flaky', '--seed', '7', served]);
    try {
      await serve.waitForOutput(/Press Ctrl-C to stop\./);
      const banner = serve.stdout();
      expect(banner).toContain('--seed 7');
      const password = find(/password (\S+)/, banner);
      const ftpUrl = find(/(?<!\w)ftp:\/\/reget@127\.0\.0\.1:\d+\/file\.bin/, banner);
      const directory = await newDirectory();
      const ftp = await runCli(['--retries', '20', '-d', directory, ftpUrl], {
        env: { REGET_PASSWORD: password },
      });
      expect({ code: ftp.code, stderr: ftp.stderr }).toMatchObject({ code: 0 });
      // The first transfer always meets the cut armed at start (16 KiB to 80% of the largest file).
      expect(ftp.stderr).toMatch(/resuming at/);
      expect(await fileHash(join(directory, 'file.bin'))).toBe(sha256(content));
    } finally {
      serve.child.kill('SIGINT');
    }
    expect((await serve.exited).code).toBe(0);
  }, 60_000);

  it('refuses a folder that does not exist with one line and exit 3', async () => {
    const result = await runCli(['serve', join(root, 'missing')]);
    expect(result.code).toBe(3);
    expect(linesOf(result.stderr)).toEqual([
      `reget: ${join(root, 'missing')} is not a folder that can be served.`,
    ]);
    expect(result.stdout).toBe('');
  });
});
