import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildCli, linesOf, runCli, startCli } from './cli-process.js';
import {
  fileHash,
  type HttpFixture,
  jsonEvents,
  listDirectory,
  password,
  putContent,
  sha256,
  startHttpFixture,
} from './http-fixture.js';

const size = 256 * 1024;
let fixture: HttpFixture;
let content: Uint8Array;

beforeAll(async () => {
  [fixture] = await Promise.all([startHttpFixture(), buildCli()]);
  content = await putContent([fixture.server, fixture.authServer], '/file.bin', size);
}, 120_000);

afterAll(() => fixture?.close());

beforeEach(() => {
  fixture.server.setFaults({});
  fixture.server.resetCounters();
});

describe('downloads over HTTP, as a user runs them', () => {
  it('a fresh download: exit 0, the exact file, no partial or journal left, a summary line', async () => {
    const directory = await fixture.newDirectory();
    const result = await runCli(['-d', directory, fixture.server.url('/file.bin')]);
    expect(result.code).toBe(0);
    expect(await fileHash(join(directory, 'file.bin'))).toBe(sha256(content));
    expect(await listDirectory(directory)).toEqual(['file.bin']);
    expect(result.stderr).toMatch(/file\.bin: saved, 256 KiB/);
    expect(result.stdout).toBe('');
  });

  it('a connection cut mid-body is resumed within the run, fetching only what is missing', async () => {
    const directory = await fixture.newDirectory();
    fixture.server.setFaults({ dropAfterBytes: 100_000, dropTimes: 1 });
    const result = await runCli(['-d', directory, fixture.server.url('/file.bin')]);
    expect(result.code).toBe(0);
    expect(await fileHash(join(directory, 'file.bin'))).toBe(sha256(content));
    // Where the file stands, in human units, and the delay in seconds; not the response's raw byte counts.
    expect(result.stderr).toMatch(
      /the connection ended at [\d.]+ (B|KiB) of 256 KiB; retrying in \d+\.\d s \(attempt 2\)/,
    );
    expect(result.stderr).not.toMatch(/\d{5,} (of|bytes)/);
    // Invariant 3: the 100 000 bytes before the cut, then the missing bytes plus at most the 64 KiB
    // verification overlap, so at most size + 64 KiB in all; a whole file again would be size + 100 000.
    expect(fixture.server.bytesSent()).toBeLessThanOrEqual(size + 65_536);
  });

  it('a cut with no retries left exits 4 and keeps the partial; running again resumes it', async () => {
    const directory = await fixture.newDirectory();
    const url = fixture.server.url('/file.bin');
    fixture.server.setFaults({ dropAfterBytes: 150_000 });
    const first = await runCli(['--retries', '0', '-d', directory, url]);
    expect(first.code).toBe(4);
    expect(linesOf(first.stderr).at(-1)).toMatch(
      /^reget: \S*file\.bin: .*run the same command again to resume\.$/,
    );
    expect(await listDirectory(directory)).toEqual(['file.bin.part', 'file.bin.reget']);

    fixture.server.setFaults({});
    fixture.server.resetCounters();
    const second = await runCli(['-d', directory, url]);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/resuming at/);
    expect(await fileHash(join(directory, 'file.bin'))).toBe(sha256(content));
    expect(fixture.server.bytesSent()).toBeLessThan(size - 100_000);
  });

  it('https:// to a plain HTTP port exits 7 at once, suggesting http://, with no retries', async () => {
    const directory = await fixture.newDirectory();
    const url = fixture.server.url('/file.bin').replace(/^http:/, 'https:');
    const result = await runCli(['-d', directory, url]);
    expect(result.code).toBe(7);
    expect(linesOf(result.stderr)).toEqual([expect.stringContaining('http://')]);
    expect(result.stderr).not.toMatch(/retrying/);
  });

  it('--no-restart: a changed remote exits 8, naming the way out rather than repeating core', async () => {
    const directory = await fixture.newDirectory();
    await putContent([fixture.server], '/changing.bin', size, 3);
    const url = fixture.server.url('/changing.bin');
    fixture.server.setFaults({ dropAfterBytes: 100_000 });
    expect((await runCli(['-q', '--retries', '0', '-d', directory, url])).code).toBe(4);
    fixture.server.setFaults({});
    await putContent([fixture.server], '/changing.bin', size, 4);
    const refused = await runCli(['-q', '--no-restart', '-d', directory, url]);
    expect(refused.code).toBe(8);
    expect(refused.stderr).toContain('without --no-restart');
    expect(refused.stderr).toContain('--restart');
    expect(refused.stderr).not.toContain('(remote changed)');
  });

  it('a file another reget is downloading: exit 3, naming that process, and no "run again" hint', async () => {
    const directory = await fixture.newDirectory();
    const url = fixture.server.url('/file.bin');
    // Slow enough to still be running when the second one starts.
    const first = startCli(['--limit-rate', '16K', '-d', directory, url]);
    try {
      await first.waitForOutput(/downloading/);
      const second = await runCli(['-d', directory, url]);
      expect(second.code).toBe(3);
      expect(second.stderr).toContain(`another reget (process ${first.child.pid})`);
      expect(second.stderr).toContain('wait for it to finish');
      expect(second.stderr).not.toContain('run the same command again');
    } finally {
      first.child.kill('SIGINT');
      await first.exited;
    }
  });

  it('several URLs end with one line counting what was saved and what failed', async () => {
    const directory = await fixture.newDirectory();
    const urls = ['/file.bin', '/missing.bin'].map((path) => fixture.server.url(path));
    const result = await runCli(['-d', directory, ...urls]);
    expect(result.code).toBe(7);
    expect(linesOf(result.stderr).at(-1)).toBe('reget: 1 saved, 1 failed.');
    const json = await runCli(['--json', '--overwrite', '-d', directory, ...urls]);
    expect(jsonEvents(json.stdout).at(-1)).toMatchObject({ type: 'summary', saved: 1, failed: 1 });
  });

  it('--limit-rate 0 means no limit', async () => {
    const directory = await fixture.newDirectory();
    const result = await runCli([
      '-q',
      '--limit-rate',
      '0',
      '-d',
      directory,
      fixture.server.url('/file.bin'),
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(await fileHash(join(directory, 'file.bin'))).toBe(sha256(content));
  });

  it('--insecure warns only when a URL uses TLS', async () => {
    const directory = await fixture.newDirectory();
    const result = await runCli(['-q', '--insecure', '-d', directory, fixture.server.url('/file.bin')]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
  });

  it('404 exits 7 with one line naming the file', async () => {
    const directory = await fixture.newDirectory();
    const result = await runCli(['-q', '-d', directory, fixture.server.url('/missing.bin')]);
    expect(result.code).toBe(7);
    expect(linesOf(result.stderr)).toEqual([expect.stringMatching(/^reget: \S*missing\.bin: .*404/)]);
    expect(await listDirectory(directory)).toEqual([]);
  });

  it('several URLs (arguments and -i): every file is fetched and the exit code is the worst one', async () => {
    const directory = await fixture.newDirectory();
    const list = join(await fixture.newDirectory(), 'urls.txt');
    await putContent([fixture.server], '/second.bin', 1000, 2);
    const [first, second, missing] = ['/file.bin', '/second.bin', '/missing.bin'].map((path) =>
      fixture.server.url(path),
    );
    await writeFile(list, `# a comment\n\n${second}\n  ${missing}  \n`);
    const result = await runCli(['-q', '-j', '2', '-d', directory, '-i', list, first ?? '']);
    expect(result.code).toBe(7);
    expect(linesOf(result.stderr)).toEqual([expect.stringMatching(/missing\.bin: .*404/)]);
    expect(await listDirectory(directory)).toEqual(['file.bin', 'second.bin']);
  });

  it('a finished download run again exits 0 untouched; a file that is not the remote one is left alone (exit 3)', async () => {
    const directory = await fixture.newDirectory();
    const url = fixture.server.url('/file.bin');
    const destination = join(directory, 'file.bin');
    expect((await runCli(['-q', '-d', directory, url])).code).toBe(0);
    const before = await stat(destination);
    fixture.server.resetCounters();
    const again = await runCli(['-d', directory, url]);
    expect(again.code).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/already complete/);
    expect(fixture.server.bytesSent()).toBeLessThanOrEqual(65_536);
    expect((await stat(destination)).mtimeMs).toBe(before.mtimeMs);
    expect(sha256(await readFile(destination))).toBe(sha256(content));
    // Another file under the same name (same size, other bytes, its own time) is not reget's to touch.
    const other = Buffer.alloc(content.length, 7);
    await writeFile(destination, other);
    const refused = await runCli(['-q', '-d', directory, url]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/--overwrite/);
    expect(refused.stderr).toContain('--continue');
    expect(sha256(await readFile(destination))).toBe(sha256(other));
    expect((await runCli(['-q', '--overwrite', '-d', directory, url])).code).toBe(0);
    expect(sha256(await readFile(destination))).toBe(sha256(content));
  });

  it('--checksum: a match exits 0, a mismatch exits 8 and hands back no file', async () => {
    const directory = await fixture.newDirectory();
    const url = fixture.server.url('/file.bin');
    const good = await runCli([
      '-q',
      '--checksum',
      `sha256:${sha256(content)}`,
      '-o',
      join(directory, 'a'),
      url,
    ]);
    expect(good.code).toBe(0);
    const bad = await runCli([
      '-q',
      '--checksum',
      `sha256:${'0'.repeat(64)}`,
      '-o',
      join(directory, 'b'),
      url,
    ]);
    expect(bad.code).toBe(8);
    expect(await fileHash(join(directory, 'b'))).toBeUndefined();
  });

  it('--content-disposition takes the server name, made safe, inside the directory', async () => {
    const directory = await fixture.newDirectory();
    fixture.server.setFaults({
      extraHeaders: { 'Content-Disposition': 'attachment; filename="../../evil.txt"' },
    });
    const result = await runCli([
      '-q',
      '--content-disposition',
      '-d',
      directory,
      fixture.server.url('/file.bin'),
    ]);
    expect(result.code).toBe(0);
    expect(await listDirectory(directory)).toEqual(['evil.txt']);
  });
});

describe('--json', () => {
  it('prints one JSON object per line: decision, progress of the true total, complete, result', async () => {
    const directory = await fixture.newDirectory();
    fixture.server.setFaults({ dropAfterBytes: 100_000, dropTimes: 1 });
    const result = await runCli(['--json', '-d', directory, fixture.server.url('/file.bin')]);
    expect(result.code).toBe(0);
    const events = jsonEvents(result.stdout);
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('probe');
    expect(types).toContain('decision');
    expect(types).toContain('retry');
    expect(types.slice(-2)).toEqual(['complete', 'result']);
    for (const progress of events.filter((event) => event.type === 'progress')) {
      expect(progress.total).toBe(size);
    }
    expect(events.at(-1)).toMatchObject({ type: 'result', size, destination: join(directory, 'file.bin') });
    expect(result.stderr).toBe('');
  });
});

describe('secrets are never printed (FAULTS SEC-10)', () => {
  const modes = [[], ['--json'], ['--debug'], ['--json', '--debug']];

  it('a password in the URL works and appears in no output, in any mode', async () => {
    for (const mode of modes) {
      const directory = await fixture.newDirectory();
      const result = await runCli([...mode, '-d', directory, fixture.authServer.url('/file.bin')]);
      expect(result.code).toBe(0);
      expect(result.stdout + result.stderr).not.toContain(password);
      expect(result.stdout + result.stderr).not.toContain(encodeURIComponent(password));
    }
  });

  it('a login refused with no password given says how to give one', async () => {
    const url = new URL(fixture.authServer.url('/file.bin'));
    url.password = '';
    const result = await runCli(['-q', '-d', await fixture.newDirectory(), url.href]);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('REGET_PASSWORD');
    expect(result.stderr).toContain('--password-prompt');
  });

  it('a wrong password exits 6 and is not printed either', async () => {
    const wrong = fixture.authServer.unauthorizedUrl('/file.bin') ?? '';
    for (const mode of modes) {
      const directory = await fixture.newDirectory();
      const result = await runCli([...mode, '-d', directory, wrong]);
      expect(result.code).toBe(6);
      expect(result.stdout + result.stderr).not.toContain('secret-wrong');
    }
  });

  it('REGET_PASSWORD and --password-prompt supply the password for a URL that names the user', async () => {
    const url = new URL(fixture.authServer.url('/file.bin'));
    url.password = '';
    const fromEnv = await runCli(['-d', await fixture.newDirectory(), url.href], {
      env: { REGET_PASSWORD: password },
    });
    expect(fromEnv.code).toBe(0);
    const fromPrompt = await runCli(['--password-prompt', '-d', await fixture.newDirectory(), url.href], {
      input: `${password}\n`,
    });
    expect(fromPrompt.code).toBe(0);
    for (const result of [fromEnv, fromPrompt]) expect(result.stdout + result.stderr).not.toContain(password);
  });
});

describe('--checksum-file: every file against its line of a SHA256SUMS list', () => {
  it('verifies each file by its line, keeps a mismatch as .corrupt (exit 8), refuses a file with no line', async () => {
    const other = await putContent([fixture.server], '/other.bin', 100_000, 7);
    const directory = await fixture.newDirectory();
    const list = join(await fixture.newDirectory(), 'SHA256SUMS');
    // GNU style with the binary marker for one line, BSD style for the other.
    await writeFile(list, `${sha256(content)} *file.bin\nSHA256 (other.bin) = ${sha256(other)}\n`);
    const urls = [fixture.server.url('/file.bin'), fixture.server.url('/other.bin')];
    const verified = await runCli(['--checksum-file', list, '-d', directory, ...urls]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stderr).toMatch(/file\.bin: saved.*sha256 verified/);
    expect(verified.stderr).toMatch(/other\.bin: saved.*sha256 verified/);

    // A line that does not match what the server sends: the bytes are kept aside, exit 8.
    const wrong = join(await fixture.newDirectory(), 'SHA256SUMS');
    await writeFile(wrong, `${sha256(other)}  file.bin\n`);
    const mismatch = await runCli(['--checksum-file', wrong, '-d', await fixture.newDirectory(), urls[0]!]);
    expect(mismatch.code).toBe(8);
    expect(mismatch.stderr).toContain('.corrupt');

    // No line for other.bin: nothing is downloaded unverified, and the list is named.
    const partial = join(await fixture.newDirectory(), 'SHA256SUMS');
    await writeFile(partial, `${sha256(content)}  file.bin\n`);
    const target = await fixture.newDirectory();
    fixture.server.resetCounters();
    const missing = await runCli(['--checksum-file', partial, '-d', target, ...urls]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('has no line for "other.bin"');
    expect(await listDirectory(target)).toEqual([]);
    expect(fixture.server.requests).toEqual([]);
  });
});
