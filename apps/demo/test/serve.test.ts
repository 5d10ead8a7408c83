import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { watch } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Adapter } from '@reget/core';
import { createFtpAdapter } from '@reget/ftp';
import { createSftpAdapter } from '@reget/sftp';
import { makeContent, withRemote } from '@reget/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, buildCli, type CliResult, isAlive, linesOf, runCli, startCli } from './cli-process.js';
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

/** A port nothing listens on right now (the kernel's pick, released); the next three are very likely free too. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return Math.min(port, 65_535 - 3);
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
      await serve.waitForOutput(/Press Ctrl-C to stop/);
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
      await serve.waitForOutput(/Press Ctrl-C to stop/);
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

  it('--port and --state: fixed ports, and the same login, host key and CA after a restart', async () => {
    const state = join(root, 'state');
    const runs: Array<{ banner: string; ca: string }> = [];
    let base = await freePort();
    let portRetries = 2;
    for (let run = 0; run < 2; run++) {
      const serve = startCli(['serve', '--port', String(base), '--state', state, served]);
      try {
        await serve.waitForOutput(/Press Ctrl-C to stop|reget: /);
      } finally {
        serve.child.kill('SIGINT');
      }
      const stopped: CliResult = await serve.exited;
      if (run === 0 && portRetries > 0 && stopped.code === 3 && /in use/.test(stopped.stderr)) {
        portRetries -= 1;
        // Another program took one of the four ports in between: try elsewhere once more.
        base = await freePort();
        run -= 1;
        continue;
      }
      expect({ code: stopped.code, stderr: stopped.stderr }).toMatchObject({ code: 0 });
      runs.push({ banner: stopped.stdout, ca: await readFile(join(state, 'ftps-ca.pem'), 'utf8') });
    }
    const [first, second] = runs as [{ banner: string; ca: string }, { banner: string; ca: string }];
    expect(first.banner).toContain(`http://127.0.0.1:${base}/`);
    expect(first.banner).toContain(`ftp://reget@127.0.0.1:${base + 1}/`);
    expect(first.banner).toContain(`ftpes://reget@127.0.0.1:${base + 2}/`);
    expect(first.banner).toContain(`sftp://reget@127.0.0.1:${base + 3}/`);
    expect(first.banner).toContain('read from disk at each request');
    expect(find(/password (\S+)/, second.banner)).toBe(find(/password (\S+)/, first.banner));
    expect(find(/--host-key (SHA256:\S+)/, second.banner)).toBe(
      find(/--host-key (SHA256:\S+)/, first.banner),
    );
    expect(second.ca).toBe(first.ca);
    expect(first.ca).toContain('BEGIN CERTIFICATE');
    // The secrets are the user's alone.
    expect((await stat(state)).mode & 0o777).toBe(0o700);
    expect((await stat(join(state, 'password'))).mode & 0o777).toBe(0o600);
  }, 60_000);

  it('serves a 1.2 GB file from disk: starts without reading it, and its memory stays flat while it streams', async () => {
    const folder = join(root, 'big');
    await mkdir(folder);
    // Sparse: 1200 MiB that cost no disk space, read back as zeros.
    const size = 1200 * 1024 * 1024;
    await writeFile(join(folder, 'big.iso'), '');
    await truncate(join(folder, 'big.iso'), size);
    const startedAt = Date.now();
    const serve = startCli(['serve', folder]);
    try {
      await serve.waitForOutput(/Press Ctrl-C to stop/);
      const startMs = Date.now() - startedAt;
      const pid = serve.child.pid!;
      const banner = serve.stdout();
      expect(banner).toMatch(/big\.iso {2}\(1\.17 GiB\)/);
      // Nothing close to the file was read to start (node itself reads some tens of MiB).
      const atStart = await processFigures(pid);
      expect(atStart.readMiB).toBeLessThan(300);
      expect(startMs).toBeLessThan(10_000);

      const httpUrl = find(/http:\/\/127\.0\.0\.1:\d+\/big\.iso/, banner);
      expect(await httpBodyBytes(httpUrl)).toBe(size);
      const password = find(/password (\S+)/, banner);
      const withPassword = (url: string) => url.replace('reget@', `reget:${encodeURIComponent(password)}@`);
      const ftpUrl = withPassword(find(/(?<!\w)ftp:\/\/reget@127\.0\.0\.1:\d+\/big\.iso/, banner));
      const sftpUrl = withPassword(find(/sftp:\/\/reget@127\.0\.0\.1:\d+\/big\.iso/, banner));
      const hostKey = find(/--host-key (SHA256:\S+)/, banner);
      // The last 300 MiB over FTP and 100 MiB over SFTP: a server that held the file would show it.
      expect(await bytesFrom(createFtpAdapter(), ftpUrl, size - 300 * 1024 * 1024)).toBe(300 * 1024 * 1024);
      expect(await bytesFrom(createSftpAdapter({ hostKey }), sftpUrl, size - 100 * 1024 * 1024)).toBe(
        100 * 1024 * 1024,
      );
      const atEnd = await processFigures(pid);
      // The bytes came from disk, through a bounded buffer.
      expect(atEnd.readMiB - atStart.readMiB).toBeGreaterThanOrEqual(1599);
      expect(atEnd.peakRssMiB).toBeLessThan(300);
      console.info(
        `reget serve, 1.2 GB file: banner after ${startMs} ms, ${atStart.readMiB} MiB read, peak RSS ${atStart.peakRssMiB} MiB at start and ${atEnd.peakRssMiB} MiB after sending 1.6 GB`,
      );
    } finally {
      serve.child.kill('SIGINT');
    }
    expect((await serve.exited).code).toBe(0);
  }, 60_000);

  it('serves a file changed on disk in its new version, over HTTP, FTP and SFTP', async () => {
    const folder = join(root, 'changing');
    await mkdir(folder);
    const first = makeContent(200 * 1024, 21);
    const second = makeContent(250 * 1024, 22);
    await writeFile(join(folder, 'file.bin'), first);
    const serve = startCli(['serve', folder]);
    try {
      await serve.waitForOutput(/Press Ctrl-C to stop/);
      const banner = serve.stdout();
      const httpUrl = find(/http:\/\/127\.0\.0\.1:\d+\/file\.bin/, banner);
      const password = find(/password (\S+)/, banner);
      const hostKey = find(/--host-key (SHA256:\S+)/, banner);
      const urls = [
        httpUrl,
        find(/(?<!\w)ftp:\/\/reget@127\.0\.0\.1:\d+\/file\.bin/, banner),
        find(/sftp:\/\/reget@127\.0\.0\.1:\d+\/file\.bin/, banner),
      ];
      /** Downloads `url` into a fresh directory with the CLI and returns that directory. */
      const download = async (url: string) => {
        const fresh = await newDirectory();
        const result = await runCli(['-q', '--host-key', hostKey, '-d', fresh, url], {
          env: { REGET_PASSWORD: password },
        });
        expect({ url, code: result.code, stderr: result.stderr }).toEqual({ url, code: 0, stderr: '' });
        return fresh;
      };
      const before = await fetch(httpUrl, { method: 'HEAD' });
      const directories: string[] = [];
      for (const url of urls) {
        const directory = await download(url);
        expect(await fileHash(join(directory, 'file.bin'))).toBe(sha256(first));
        directories.push(directory);
      }

      await writeFile(join(folder, 'file.bin'), second);
      const after = await fetch(httpUrl, { method: 'HEAD' });
      expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
      expect(after.headers.get('content-length')).toBe(String(second.length));
      for (const url of urls) {
        expect(await fileHash(join(await download(url), 'file.bin'))).toBe(sha256(second));
      }
      // The first download, continued, sees the new version and restarts rather than mixing them.
      const again = await runCli(['-d', directories[0]!, '--continue', httpUrl]);
      expect(again.code).toBe(0);
      expect(await fileHash(join(directories[0]!, 'file.bin'))).toBe(sha256(second));
    } finally {
      serve.child.kill('SIGINT');
    }
    expect((await serve.exited).code).toBe(0);
  }, 60_000);

  it('--port on a port in use: one line, exit 3, naming the port', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = await runCli(['serve', '--port', String(port), served]);
      expect(result.code).toBe(3);
      expect(linesOf(result.stderr)).toEqual([expect.stringContaining(String(port))]);
      expect(result.stderr).toContain('--port');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('refuses a folder that does not exist with one line and exit 3', async () => {
    const result = await runCli(['serve', join(root, 'missing')]);
    expect(result.code).toBe(3);
    expect(linesOf(result.stderr)).toEqual([
      `reget: ${join(root, 'missing')} is not a folder that can be served.`,
    ]);
    expect(result.stdout).toBe('');
  });

  it('prints its pid, and stops when npm, which started it, ends (npx, then kill $!)', async () => {
    // A parent like npm's: it starts serve with the output in a file, then is killed with SIGKILL.
    const log = join(root, `serve-orphan-${process.pid}.log`);
    const parent = serveFromParent(log, true);
    let servePid: number | undefined;
    try {
      const banner = await waitForFile(log, /or run: kill (\d+)/);
      servePid = Number(find(/or run: kill (\d+)/, banner));
      const httpUrl = find(/http:\/\/127\.0\.0\.1:\d+\/file\.bin/, banner);
      expect(banner).toMatch(/npx reget .*http:\/\/127\.0\.0\.1:\d+\/file\.bin/);
      expect(isAlive(servePid)).toBe(true);
      parent.kill('SIGKILL');
      await once(parent, 'exit');
      // The server notices within its half-second check and closes its ports before exiting.
      expect(await waitForFile(log, /reget serve: stopped\./)).toContain('ended');
      const refused = await runCli(['-q', '--retries', '0', '-d', await newDirectory(), httpUrl]);
      expect(refused.code).toBe(4);
    } finally {
      parent.kill('SIGKILL');
      if (servePid !== undefined && isAlive(servePid)) process.kill(servePid, 'SIGKILL');
    }
  });
  it('keeps serving when a parent that is not npm ends (nohup, disown)', async () => {
    const log = join(root, `serve-nohup-${process.pid}.log`);
    const parent = serveFromParent(log, false);
    let servePid: number | undefined;
    try {
      const banner = await waitForFile(log, /or run: kill (\d+)/);
      servePid = Number(find(/or run: kill (\d+)/, banner));
      const httpUrl = find(/http:\/\/127\.0\.0\.1:\d+\/file\.bin/, banner);
      parent.kill('SIGKILL');
      await once(parent, 'exit');
      // Three of its half-second checks pass without a stop, and it still serves.
      await expect(waitForFile(log, /reget serve: stopped/, 1_500)).rejects.toThrow(/timed out/);
      const served = await runCli(['-q', '-d', await newDirectory(), httpUrl]);
      expect(served.code).toBe(0);
      expect(isAlive(servePid)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
      if (servePid !== undefined && isAlive(servePid)) process.kill(servePid, 'SIGKILL');
    }
  });
});

/** Peak resident memory (VmHWM) and bytes read so far (rchar) of a process, in MiB (Linux /proc). */
async function processFigures(pid: number): Promise<{ peakRssMiB: number; readMiB: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  const peakKiB = Number(find(/VmHWM:\s+(\d+) kB/, status));
  const readBytes = Number(find(/rchar:\s+(\d+)/, io));
  return { peakRssMiB: Math.round(peakKiB / 1024), readMiB: Math.round(readBytes / 1024 ** 2) };
}

/** Downloads `url` over HTTP with node's client, counting the bytes and keeping none. */
function httpBodyBytes(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      let count = 0;
      response.on('data', (chunk: Buffer) => {
        count += chunk.length;
      });
      response.on('end', () => resolve(count));
      response.on('error', reject);
    }).on('error', reject);
  });
}

/** Reads `url` from `start` to its end through a reget adapter, counting the bytes and keeping none. */
function bytesFrom(adapter: Adapter, url: string, start: number): Promise<number> {
  return withRemote(adapter, url, async (remote) => {
    const response = await remote.read({ start, signal: new AbortController().signal });
    let count = 0;
    for await (const chunk of response.body) count += chunk.length;
    return count;
  });
}

/** Starts `reget serve` from a parent that can be killed, as npx (with npm's environment) or not. */
function serveFromParent(log: string, asNpm: boolean) {
  const env = { ...process.env };
  delete env.npm_execpath;
  if (asNpm) env.npm_execpath = '/usr/lib/node_modules/npm/bin/npm-cli.js';
  return spawn(
    process.execPath,
    [
      '-e',
      `const { spawn } = require('node:child_process'); const fs = require('node:fs');
       const out = fs.openSync(process.argv[1], 'w');
       spawn(process.execPath, [process.argv[2], 'serve', process.argv[3]], { stdio: ['ignore', out, out] });
       setInterval(() => {}, 1000);`,
      log,
      binPath,
      served,
    ],
    { stdio: 'ignore', env },
  );
}

/** Waits (bounded) until the file at `path` matches `pattern`, re-reading it when it changes. */
async function waitForFile(path: string, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in:\n${text}`);
    // Woken by a change of the file, or after 200 ms (the file may not exist yet to be watched).
    await new Promise<void>((resolve) => {
      let watcher: ReturnType<typeof watch> | undefined;
      const wake = () => {
        watcher?.close();
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(wake, 200);
      try {
        watcher = watch(path, wake);
      } catch {
        // Not created yet: the timer wakes us.
      }
    });
  }
}
