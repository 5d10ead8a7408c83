import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
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
    const caFile = join(root, 'ftpes-ca.pem');
    await writeFile(caFile, ftpes.certificate?.cert ?? '');
    const trusted = await runCli(['-q', '--ca', caFile, '-d', await newDirectory(), ftpes.url('/file.bin')]);
    expect(trusted.code).toBe(0);
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
