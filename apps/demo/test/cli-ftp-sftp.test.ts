import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type FtpTestServer,
  makeContent,
  type SftpServer,
  sha256,
  startFtpServer,
  startSftpServer,
} from '@reget/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, linesOf, runCli } from './cli-process.js';
import { fileHash, listDirectory } from './http-fixture.js';

const size = 300 * 1024;
const content = makeContent(size, 7);
const ftpPassword = 'ftp-Pa55word!';
let root: string;
let directoryCount = 0;
let ftp: FtpTestServer;
let ftpes: FtpTestServer;
let sftp: SftpServer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'reget-cli-protocols-'));
  [ftp, ftpes, sftp] = await Promise.all([
    startFtpServer({ user: 'alice', password: ftpPassword }),
    startFtpServer({ security: 'explicit', user: 'alice', password: ftpPassword }),
    startSftpServer(),
    buildCli(),
  ]);
  for (const server of [ftp, ftpes, sftp]) await server.putFile('/file.bin', content);
}, 120_000);

afterAll(async () => {
  await Promise.all([ftp, ftpes, sftp].map((server) => server?.close()));
  await rm(root, { recursive: true, force: true });
});

async function newDirectory(): Promise<string> {
  directoryCount += 1;
  const directory = join(root, String(directoryCount));
  await mkdir(directory);
  return directory;
}

/** A cut with no retries exits 4 and keeps the partial; the same command then resumes to the exact file. */
async function expectCutThenResume(server: FtpTestServer | SftpServer, extraArgs: readonly string[]) {
  const directory = await newDirectory();
  const args = [...extraArgs, '-d', directory, server.url('/file.bin')];
  server.setFaults({ dropAfterBytes: 200_000 });
  const cut = await runCli(['--retries', '0', ...args]);
  expect({ code: cut.code, stderr: cut.stderr }).toMatchObject({ code: 4 });
  expect(await listDirectory(directory)).toContain('file.bin.part');
  server.setFaults({});
  const resumed = await runCli(args);
  expect({ code: resumed.code, stderr: resumed.stderr }).toMatchObject({ code: 0 });
  expect(resumed.stderr).toMatch(/resuming at/);
  expect(await fileHash(join(directory, 'file.bin'))).toBe(sha256(content));
  return [cut, resumed];
}

describe('FTP and FTPS', () => {
  it('downloads, resumes after a cut, and never prints the password', async () => {
    const outputs = await expectCutThenResume(ftp, []);
    for (const output of outputs) expect(output.stdout + output.stderr).not.toContain(ftpPassword);
  });

  it('explicit FTPS refuses an unknown certificate (exit 5) and accepts it with --ca', async () => {
    const refused = await runCli([
      '-q',
      '--retries',
      '0',
      '-d',
      await newDirectory(),
      ftpes.url('/file.bin'),
    ]);
    expect(refused.code).toBe(5);
    expect(linesOf(refused.stderr)).toHaveLength(1);
    expect(refused.stderr).toContain('--ca <file>');
    expect(refused.stderr).toContain('--insecure');
    const caFile = join(root, 'ftpes-ca.pem');
    await writeFile(caFile, ftpes.certificate?.cert ?? '');
    const trusted = await runCli(['-q', '--ca', caFile, '-d', await newDirectory(), ftpes.url('/file.bin')]);
    expect(trusted.code).toBe(0);
  });

  it('ftps:// against an explicit-TLS server exits 7 at once, suggesting ftpes://', async () => {
    const url = ftpes.url('/file.bin').replace(/^ftpes:/, 'ftps:');
    const result = await runCli(['-q', '-d', await newDirectory(), url]);
    expect(result.code).toBe(7);
    expect(linesOf(result.stderr)).toEqual([expect.stringContaining('ftpes://')]);
  });

  it('a refused login names the user and host:port, and with no password given says how to give one', async () => {
    const url = new URL(ftp.url('/file.bin'));
    url.password = '';
    const result = await runCli(['-q', '-d', await newDirectory(), url.href]);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('"alice"');
    expect(result.stderr).toContain(url.host);
    expect(result.stderr).toContain('REGET_PASSWORD');
    expect(result.stderr).toContain('--password-prompt');
  });

  it('--insecure works and always warns, even with --quiet', async () => {
    const result = await runCli(['-q', '--insecure', '-d', await newDirectory(), ftpes.url('/file.bin')]);
    expect(result.code).toBe(0);
    expect(linesOf(result.stderr)).toEqual([expect.stringMatching(/warning: --insecure/)]);
  });
});

describe('SFTP', () => {
  it('downloads with a pinned host key, resumes after a cut, and never prints the password', async () => {
    const outputs = await expectCutThenResume(sftp, ['--host-key', sftp.hostKey.fingerprint]);
    for (const output of outputs) {
      expect(output.stdout + output.stderr).not.toContain(sftp.password);
      expect(output.stdout + output.stderr).not.toContain(encodeURIComponent(sftp.password));
    }
  });

  it('an unknown host key is refused before any credential is sent (exit 5)', async () => {
    const knownHosts = join(root, 'empty_known_hosts');
    await writeFile(knownHosts, '');
    sftp.resetCounters();
    const args = ['-q', '--known-hosts', knownHosts, '-d', await newDirectory(), sftp.url('/file.bin')];
    const result = await runCli(args);
    expect(result.code).toBe(5);
    expect(sftp.loginAttempts()).toEqual([]);
    // The file consulted, and both ways to trust the host.
    expect(result.stderr).toContain(knownHosts);
    expect(result.stderr).toContain(`--host-key ${sftp.hostKey.fingerprint}`);
    expect(result.stderr).toContain('--accept-new-host-key');
  });

  it('--accept-new-host-key creates ~/.ssh (0700) when missing, and says it added the key', async () => {
    const home = join(root, 'fresh-home');
    await mkdir(home);
    const args = ['--accept-new-host-key', '-d', await newDirectory(), sftp.url('/file.bin')];
    const result = await runCli(args, { env: { HOME: home } });
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
    expect((await stat(join(home, '.ssh'))).mode & 0o777).toBe(0o700);
    const knownHosts = await readFile(join(home, '.ssh', 'known_hosts'), 'utf8');
    expect(knownHosts).toContain(`[${sftp.host}]:${sftp.port}`);
    expect(result.stderr).toMatch(/permanently added/i);
    expect(result.stderr).toContain(sftp.hostKey.fingerprint);
  });

  it('a path that is a directory exits 7, as for HTTP and FTP', async () => {
    await sftp.putFile('/folder/inside.bin', content.subarray(0, 10));
    const args = [
      '-q',
      '--host-key',
      sftp.hostKey.fingerprint,
      '-d',
      await newDirectory(),
      sftp.url('/folder'),
    ];
    const result = await runCli(args);
    expect(result.code).toBe(7);
    expect(linesOf(result.stderr)).toEqual([expect.stringContaining('directory')]);
  });

  it('no password, key or agent: the login fails saying how to give one', async () => {
    const url = new URL(sftp.url('/file.bin'));
    url.password = '';
    const args = ['-q', '--host-key', sftp.hostKey.fingerprint, '-d', await newDirectory(), url.href];
    const result = await runCli(args, { env: { SSH_AUTH_SOCK: undefined } });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('no login method was available');
    expect(result.stderr).toContain('REGET_PASSWORD');
    expect(result.stderr).toContain('--identity');
  });

  it('a known_hosts entry is trusted, and REGET_PASSWORD supplies the password', async () => {
    const knownHosts = join(root, 'known_hosts');
    await writeFile(knownHosts, `${sftp.hostKey.knownHostsLine(sftp.host, sftp.port)}\n`);
    const url = new URL(sftp.url('/file.bin'));
    url.password = '';
    const args = ['--known-hosts', knownHosts, '-d', await newDirectory(), url.href];
    const result = await runCli(args, { env: { REGET_PASSWORD: sftp.password } });
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(sftp.password);
  });

  it('a wrong password exits 6 without printing it', async () => {
    const wrong = sftp.unauthorizedUrl('/file.bin');
    const args = ['--host-key', sftp.hostKey.fingerprint, '-d', await newDirectory(), wrong];
    const result = await runCli(args);
    expect(result.code).toBe(6);
    expect(linesOf(result.stderr).at(-1)).toMatch(/^reget: \S*file\.bin: /);
    expect(result.stderr).not.toContain(sftp.password);
  });
});
