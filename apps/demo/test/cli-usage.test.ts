import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, type CliResult, linesOf, repoRoot, runCli } from './cli-process.js';

// Nothing listens on port 1 of loopback: a connection there is refused at once.
const refusedUrl = 'http://127.0.0.1:1/file.bin';
const denySsh2 = join(repoRoot, 'apps', 'demo', 'test', 'fixtures', 'deny-ssh2.mjs');
const denyBars = join(repoRoot, 'apps', 'demo', 'test', 'fixtures', 'deny-progress-bars.mjs');

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'reget-cli-usage-'));
  await writeFile(join(workDir, 'not-a-certificate.pem'), 'just text\n');
  await writeFile(join(workDir, 'empty-list.txt'), '# nothing yet\n\n');
  await writeFile(join(workDir, 'bad-list.txt'), `# two good, then a bad one\n${refusedUrl}\nnot a url\n`);
  await buildCli();
}, 120_000);

afterAll(() => rm(workDir, { recursive: true, force: true }));

/** One clear sentence on stderr, nothing on stdout, and no stack trace (docs/design.md, invariant 6). */
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
    // Defaults people ask about, and where a file that failed its checksum goes.
    expect(result.stdout).toMatch(/--timeout[\s\S]*30 s[\s\S]*60 s/);
    expect(result.stdout).toMatch(/--connections[^\n]*\n?[^\n]*default: 1/);
    expect(result.stdout).toContain('<file>.corrupt');
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
  const cases: Array<[string, string[], string?]> = [
    ['no URL at all', []],
    ['a malformed URL', ['not a url']],
    ['an unknown scheme', ['gopher://127.0.0.1/file']],
    ['a URL without a host', ['sftp:relative/path']],
    ['a bad checksum string', ['--checksum', 'sha256:abc', refusedUrl]],
    ['an unknown checksum algorithm', ['--checksum', `crc32:${'0'.repeat(8)}`, refusedUrl]],
    ['-o with two URLs', ['-o', 'out.bin', refusedUrl, 'http://127.0.0.1:1/other.bin']],
    ['--checksum with two URLs', ['--checksum', `md5:${'0'.repeat(32)}`, refusedUrl, 'http://127.0.0.1:1/b']],
    ['two URLs saved under one name', ['http://127.0.0.1:1/a/file.bin', 'http://127.0.0.1:1/b/file.bin']],
    ['an unknown option, pointing to --help', ['--no-such-option', refusedUrl], '--help'],
    ['a mistyped option, with the suggestion on the same line', ['--insecur', refusedUrl], '--insecure'],
    ['a bad rate', ['--limit-rate', '5X', refusedUrl]],
    ['a bad job count', ['-j', '0', refusedUrl]],
    ['a bad connection count', ['--connections', 'many', refusedUrl]],
    ["-c used as wget's --continue, pointing to how reget resumes", ['-c', refusedUrl], 'resumes by itself'],
    ['a malformed header', ['-H', 'no colon here', refusedUrl]],
    ['--overwrite with --continue', ['--overwrite', '--continue', refusedUrl]],
    ['a missing input file', ['-i', 'no-such-list.txt']],
    ['a missing CA file', ['--ca', 'no-such-ca.pem', refusedUrl]],
    [
      'a --ca file with no PEM certificate',
      ['--ca', 'not-a-certificate.pem', refusedUrl],
      'not-a-certificate.pem',
    ],
    ['a URL without a scheme', ['127.0.0.1:1/file.bin'], 'http://'],
    ['a host:port URL without a scheme', ['localhost:1/file.bin'], 'http://'],
    ['-o naming a directory', ['-o', '.', refusedUrl], '-d'],
    ['-o naming a directory with a slash', ['-o', 'somewhere/', refusedUrl], '-d'],
    ['an input file with no URL in it', ['-i', 'empty-list.txt'], 'no URL'],
    ['a directory given as the input file', ['-i', '.'], 'is a directory'],
    ['a bad line in the input file, named by file and line', ['-i', 'bad-list.txt'], 'bad-list.txt:3:'],
  ];

  // Option values: reget's one sentence naming the option, not commander's "argument … is invalid. …".
  const optionValues: Array<[string[], string]> = [
    [['--limit-rate', 'garbage'], '--limit-rate: '],
    [['-c', '0'], '--connections: '],
    [['-j', '-1'], '--jobs: '],
    [['--checksum', 'sha256:abc'], '--checksum: a sha256 checksum'],
  ];
  for (const [args, start] of optionValues) {
    it(`${args.join(' ')} is one sentence that names the option`, async () => {
      const result = await runCli([...args, refusedUrl], { cwd: workDir });
      expectOneLineFailure(result, 2);
      expect(result.stderr.startsWith(`reget: ${start}`)).toBe(true);
      expect(result.stderr).not.toMatch(/is invalid\./);
      // One sentence: a full stop only at the end of the line.
      expect(result.stderr.trim().slice(0, -1)).not.toMatch(/\.\s/);
    });
  }

  for (const [name, args, hint] of cases) {
    it(name, async () => {
      const result = await runCli(args, { cwd: workDir });
      expectOneLineFailure(result, 2);
      if (hint !== undefined) expect(result.stderr).toContain(hint);
    });
  }

  it('two URLs saved under one name: the way out is -d, not -o', async () => {
    const result = await runCli(['http://127.0.0.1:1/a/file.bin', 'http://127.0.0.1:1/b/file.bin'], {
      cwd: workDir,
    });
    expectOneLineFailure(result, 2);
    expect(result.stderr).toContain('-d');
    expect(result.stderr).not.toMatch(/-o\b/);
  });

  it('never echoes a password from a URL typed without its scheme', async () => {
    const result = await runCli(['alice:hunter2secret@127.0.0.1:1/file'], { cwd: workDir });
    expectOneLineFailure(result, 2);
    expect(result.stderr).toContain('http://');
    expect(result.stderr).not.toContain('hunter2secret');
  });

  it('an empty input file is fine when the command line gives URLs', async () => {
    const result = await runCli(['-q', '--retries', '0', '-i', 'empty-list.txt', refusedUrl], {
      cwd: workDir,
    });
    expect(result.code).toBe(4);
  });

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

  it('a download without bars (-q, or stderr not a terminal) does not load the bars library', async () => {
    for (const args of [['-q'], []]) {
      const result = await runCli(['--retries', '0', ...args, refusedUrl], {
        cwd: workDir,
        nodeArgs: ['--import', denyBars],
      });
      expectOneLineFailure(result, 4);
      expect(result.stderr).toMatch(/^reget: file\.bin: /);
    }
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

  it('reget serve --help tells that files are served from disk and read at each request, and offers --port and --state', async () => {
    const result = await runCli(['serve', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('served from disk');
    expect(result.stdout).toContain('read at each request');
    expect(result.stdout).toContain('--port');
    expect(result.stdout).toContain('--state');
  });
});
