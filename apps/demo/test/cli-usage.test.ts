import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, type CliResult, linesOf, repoRoot, runCli } from './cli-process.js';

// Nothing listens on port 1 of loopback: a connection there is refused at once.
const refusedUrl = 'http://127.0.0.1:1/file.bin';
const denySsh2 = join(repoRoot, 'apps', 'demo', 'test', 'fixtures', 'deny-ssh2.mjs');

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'reget-cli-usage-'));
  await buildCli();
}, 120_000);

afterAll(() => rm(workDir, { recursive: true, force: true }));

/** One clear sentence on stderr, nothing on stdout, and no stack trace (DESIGN invariant 6). */
function expectOneLineFailure(result: CliResult, exitCode: number): void {
  expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: exitCode });
  expect(linesOf(result.stderr)).toHaveLength(1);
  expect(result.stderr).toMatch(/^reget: /);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
}

describe('reget --help and --version', () => {
  it('--help exits 0 and explains resuming, exit codes and examples', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: reget/);
    expect(result.stdout).toMatch(/Resuming:/);
    expect(result.stdout).toMatch(/Exit codes:[\s\S]*130/);
    expect(result.stdout).toMatch(/Examples:/);
    for (const flag of [
      '--output',
      '--dir',
      '--input-file',
      '--jobs',
      '--checksum',
      '--no-restart',
      '--limit-rate',
    ]) {
      expect(result.stdout).toContain(flag);
    }
  });

  it('--version exits 0 and prints the package version', async () => {
    const manifest = JSON.parse(await readFile(join(repoRoot, 'apps', 'demo', 'package.json'), 'utf8'));
    const result = await runCli(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${manifest.version}\n` });
  });

  it('--help does not load ssh2', async () => {
    const result = await runCli(['--help'], { nodeArgs: ['--import', denySsh2] });
    expect(result.code).toBe(0);
  });
});

describe('bad input: exit 2, one line, no stack trace, before any byte moves', () => {
  const cases: Array<[string, string[]]> = [
    ['no URL at all', []],
    ['a malformed URL', ['not a url']],
    ['an unknown scheme', ['gopher://127.0.0.1/file']],
    ['a URL without a host', ['sftp:relative/path']],
    ['a bad checksum string', ['--checksum', 'sha256:abc', refusedUrl]],
    ['an unknown checksum algorithm', ['--checksum', `crc32:${'0'.repeat(8)}`, refusedUrl]],
    ['-o with two URLs', ['-o', 'out.bin', refusedUrl, 'http://127.0.0.1:1/other.bin']],
    ['--checksum with two URLs', ['--checksum', `md5:${'0'.repeat(32)}`, refusedUrl, 'http://127.0.0.1:1/b']],
    ['two URLs saved under one name', ['http://127.0.0.1:1/a/file.bin', 'http://127.0.0.1:1/b/file.bin']],
    ['an unknown option', ['--no-such-option', refusedUrl]],
    ['a bad rate', ['--limit-rate', '5X', refusedUrl]],
    ['a bad job count', ['-j', '0', refusedUrl]],
    ['a malformed header', ['-H', 'no colon here', refusedUrl]],
    ['--overwrite with --continue', ['--overwrite', '--continue', refusedUrl]],
    ['a missing input file', ['-i', 'no-such-list.txt']],
    ['a missing CA file', ['--ca', 'no-such-ca.pem', refusedUrl]],
  ];

  for (const [name, args] of cases) {
    it(name, async () => {
      expectOneLineFailure(await runCli(args, { cwd: workDir }), 2);
    });
  }

  it('never echoes a password from a malformed URL', async () => {
    const result = await runCli(['http://alice:hunter2secret@[::1/file'], { cwd: workDir });
    expectOneLineFailure(result, 2);
    expect(result.stderr).not.toContain('hunter2secret');
  });
});

describe('local errors: exit 3 before any byte moves', () => {
  it('a missing -d directory', async () => {
    const result = await runCli(['-d', join(workDir, 'missing'), refusedUrl], { cwd: workDir });
    expectOneLineFailure(result, 3);
    expect(result.stderr).toContain(join(workDir, 'missing'));
  });

  it('a missing directory in -o', async () => {
    const result = await runCli(['-o', join(workDir, 'missing', 'out.bin'), refusedUrl], { cwd: workDir });
    expectOneLineFailure(result, 3);
  });

  it('-d naming a file', async () => {
    await writeFile(join(workDir, 'a-file'), 'x');
    expectOneLineFailure(await runCli(['-d', join(workDir, 'a-file'), refusedUrl], { cwd: workDir }), 3);
  });
});

describe('lazy adapters', () => {
  it('an HTTP download does not load ssh2 (connection refused: exit 4, named file)', async () => {
    const result = await runCli(['--retries', '0', '-q', refusedUrl], {
      cwd: workDir,
      nodeArgs: ['--import', denySsh2],
    });
    expectOneLineFailure(result, 4);
    expect(result.stderr).toMatch(/^reget: file\.bin: /);
  });

  it('an SFTP URL does load it (so the check above can fail)', async () => {
    const result = await runCli(['--retries', '0', 'sftp://127.0.0.1:1/file.bin'], {
      cwd: workDir,
      nodeArgs: ['--import', denySsh2],
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/sftp adapter/);
  });
});

describe('subcommands', () => {
  it('reget serve without a folder is a usage error', async () => {
    expectOneLineFailure(await runCli(['serve']), 2);
  });
});
