import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildCli, linesOf, runCli, startCli } from './cli-process.js';
import {
  fileHash,
  type HttpFixture,
  jsonEvents,
  listDirectory,
  putContent,
  sha256,
  startHttpFixture,
} from './http-fixture.js';

const size = 512 * 1024;
// The server sends this much and then holds the connection open without a byte more: the client is
// mid-transfer for as long as the test needs, with a known amount on disk.
const stallAt = 200_000;
let fixture: HttpFixture;
let content: Uint8Array;

beforeAll(async () => {
  [fixture] = await Promise.all([startHttpFixture(), buildCli()]);
  content = await putContent([fixture.server], '/file.bin', size);
}, 120_000);

afterAll(() => fixture?.close());

beforeEach(() => {
  fixture.server.setFaults({});
  fixture.server.resetCounters();
});

/** Starts a `--json` download that stalls at {@link stallAt}, and resolves once bytes are on disk. */
async function startStalledDownload(directory: string) {
  fixture.server.setFaults({ stallAfterBytes: stallAt });
  const running = startCli(['--json', '--timeout', '60', '-d', directory, fixture.server.url('/file.bin')]);
  // Core throttles progress events, so the last one may be short of stallAt: any bytes will do.
  await running.waitForOutput(/"type":"progress"[^\n]*"bytesOnDisk":[1-9]/);
  return running;
}

describe('interrupted runs leave everything resumable (invariant 2)', () => {
  it('SIGKILL mid-transfer, then the same command resumes and fetches only the rest', async () => {
    const directory = await fixture.newDirectory();
    const running = await startStalledDownload(directory);
    running.child.kill('SIGKILL');
    expect((await running.exited).signal).toBe('SIGKILL');
    expect(await listDirectory(directory)).toContain('file.bin.part');

    fixture.server.setFaults({});
    fixture.server.resetCounters();
    const rerun = await runCli(['--json', '-d', directory, fixture.server.url('/file.bin')]);
    expect(rerun.code).toBe(0);
    const decision = jsonEvents(rerun.stdout).find((event) => event.type === 'decision');
    expect(decision).toMatchObject({ action: 'resume' });
    expect(decision?.offset).toBeGreaterThan(0);
    expect(await fileHash(join(directory, 'file.bin'))).toBe(sha256(content));
    // Invariant 3: what was missing plus core's verification overlap (64 KiB by default), no more.
    const offset = Number(decision?.offset);
    expect(fixture.server.bytesSent()).toBeLessThanOrEqual(size - offset + 65_536);
  });

  it('SIGINT stops promptly with exit 130 and a line saying how to resume; the rerun completes', async () => {
    const directory = await fixture.newDirectory();
    const running = await startStalledDownload(directory);
    running.child.kill('SIGINT');
    const result = await running.exited;
    expect(result.code).toBe(130);
    expect(linesOf(result.stderr)).toEqual([
      expect.stringMatching(/interrupted .*run the same command again to resume/),
    ]);
    const interrupted = jsonEvents(result.stdout).at(-1);
    expect(interrupted).toMatchObject({ type: 'interrupted', total: size });
    expect(interrupted?.bytesOnDisk).toBeGreaterThan(0);
    // The lock is released on the way out: only the partial and its journal stay.
    expect(await listDirectory(directory)).toEqual(['file.bin.part', 'file.bin.reget']);

    fixture.server.setFaults({});
    const rerun = await runCli(['-q', '-d', directory, fixture.server.url('/file.bin')]);
    expect(rerun.code).toBe(0);
    expect(await fileHash(join(directory, 'file.bin'))).toBe(sha256(content));
  });
});

describe('a remote that changed between runs', () => {
  it('is restarted from zero and said so; with --no-restart it is an integrity failure (exit 8)', async () => {
    const directory = await fixture.newDirectory();
    const url = fixture.server.url('/changing.bin');
    await putContent([fixture.server], '/changing.bin', size, 10);
    fixture.server.setFaults({ dropAfterBytes: stallAt });
    expect((await runCli(['-q', '--retries', '0', '-d', directory, url])).code).toBe(4);

    fixture.server.setFaults({});
    const replaced = await putContent([fixture.server], '/changing.bin', size, 11);
    const refused = await runCli(['--no-restart', '-d', directory, url]);
    expect(refused.code).toBe(8);
    expect(await listDirectory(directory)).toContain('changing.bin.part');

    const restarted = await runCli(['-d', directory, url]);
    expect(restarted.code).toBe(0);
    expect(restarted.stderr).toMatch(/starting again from zero: the remote file changed/);
    expect(await fileHash(join(directory, 'changing.bin'))).toBe(sha256(replaced));
  });
});
