import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  type FtpTestServer,
  makeContent,
  type SftpServer,
  startFtpServer,
  startSftpServer,
} from '@reget/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, repoRoot, runCli } from './cli-process.js';

// Idle pooled connections must not hold a process: a program that never calls the adapter's
// close() exits when its work is done, long before the minute-long idle timeout given here.
const distOf = (name: string) => pathToFileURL(join(repoRoot, 'packages', name, 'dist', 'index.js')).href;

let root: string;
let ftp: FtpTestServer;
let sftp: SftpServer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'reget-pool-exit-'));
  [ftp, sftp] = await Promise.all([
    startFtpServer({ user: 'alice', password: 'secret' }),
    startSftpServer(),
    buildCli(),
  ]);
  for (const server of [ftp, sftp]) {
    await server.putFile('/file.bin', makeContent(50_000, 3));
    for (let index = 0; index < 12; index += 1) {
      await server.putFile(`/many-${index}.bin`, makeContent(4_000 + index, index));
    }
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([ftp, sftp].map((server) => server?.close()));
  await rm(root, { recursive: true, force: true });
});

/** Writes a program that downloads one URL with a fresh adapter and never closes it. */
async function writeProgram(name: string, adapter: string): Promise<string> {
  const script = join(root, `${name}.mjs`);
  await writeFile(
    script,
    `import { download } from '${distOf('core')}';
import { create${adapter} } from '${distOf(name)}';
const adapter = create${adapter}(JSON.parse(process.argv[3]));
await download({ url: process.argv[2], destination: process.argv[4], adapters: [adapter] });
console.log('done');
`,
  );
  return script;
}

describe('a program that never closes its adapter', () => {
  it.each([
    ['ftp', 'FtpAdapter'],
    ['sftp', 'SftpAdapter'],
  ])('exits once its %s download is done', async (name, adapter) => {
    const script = await writeProgram(name, adapter);
    const server = name === 'ftp' ? ftp : sftp;
    const options =
      name === 'ftp'
        ? { pool: { idleTimeoutMs: 60_000 } }
        : { pool: { idleTimeoutMs: 60_000 }, hostKey: sftp.hostKey.fingerprint };
    const { stdout } = await promisify(execFile)(process.execPath, [
      script,
      server.url('/file.bin'),
      JSON.stringify(options),
      join(root, `${name}.bin`),
    ]);
    expect(stdout).toBe('done\n');
    // The connection was still open when the program exited: it was pooled, not closed.
    expect(name === 'ftp' ? ftp.controlConnections() : sftp.connectionsAccepted()).toBe(1);
  });
});

describe('reget -j over many files from one server', () => {
  it('logs in to the SFTP server once, and exits', async () => {
    const before = sftp.connectionsAccepted();
    const urls = Array.from({ length: 12 }, (_, index) => sftp.url(`/many-${index}.bin`));
    const directory = await mkdtemp(join(root, 'sftp-'));
    const result = await runCli([
      '-j',
      '4',
      '--host-key',
      sftp.hostKey.fingerprint,
      '-d',
      directory,
      ...urls,
    ]);
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
    expect(sftp.connectionsAccepted() - before).toBe(1);
  });

  it('logs in to the FTP server at most once per job, and exits', async () => {
    const before = ftp.controlConnections();
    const urls = Array.from({ length: 12 }, (_, index) => ftp.url(`/many-${index}.bin`));
    const directory = await mkdtemp(join(root, 'ftp-'));
    const result = await runCli(['-j', '4', '-d', directory, ...urls]);
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
    expect(ftp.controlConnections() - before).toBeLessThanOrEqual(4);
  });
});
