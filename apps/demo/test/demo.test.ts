import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeContent } from '@reget/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DemoRow } from '../src/demo-scenario.js';
import { describeVerdict, renderDemoTable } from '../src/demo-table.js';
import { buildCli, linesOf, runCli } from './cli-process.js';
import { fileHash, jsonEvents, listDirectory, sha256 } from './http-fixture.js';

beforeAll(() => buildCli(), 120_000);

/** The rows of the demo's closing table, read back from stderr. */
function tableRows(stderr: string) {
  const lines = linesOf(stderr);
  const header = lines.findIndex((line) =>
    /^protocol\s+bytes\s+server sent\s+resumes\s+restarts\s+verified$/.test(line),
  );
  expect(header, stderr).toBeGreaterThanOrEqual(0);
  return lines.slice(header + 1, header + 5).map((line) => {
    const match = /^(\S+)\s+(\S+ \S+)\s+(\S+ \S+)\s+(\d+)\s+(\d+)\s+(\S)$/.exec(line);
    expect(match, line).not.toBeNull();
    const [, protocol, bytes, , resumes, restarts, verified] = match!;
    return { protocol, bytes, resumes: Number(resumes), restarts: Number(restarts), verified };
  });
}

describe('reget demo', () => {
  it('resumes through cuts and restarts after a change over HTTP, FTP and SFTP, and verifies each file', async () => {
    const result = await runCli(['demo', '--size', '2M']);
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
    const rows = tableRows(result.stderr);
    expect(rows.map((row) => row.protocol)).toEqual(['HTTP', 'FTP', 'SFTP', 'MIRRORS']);
    expect(rows[3]).toMatchObject({ bytes: '2.00 MiB', verified: '✓' });
    for (const row of rows.slice(0, 3)) {
      expect(row).toMatchObject({ bytes: '2.00 MiB', verified: '✓' });
      expect(row.resumes).toBeGreaterThanOrEqual(1);
      expect(row.restarts).toBeGreaterThanOrEqual(1);
    }
    for (const protocol of ['HTTP', 'FTP', 'SFTP']) {
      expect(result.stderr).toContain(`${protocol}: starting again from zero: the remote file changed`);
      expect(result.stderr).toMatch(new RegExp(`^${protocol}: resuming at `, 'm'));
    }
    // The mirrors scene: the FTP mirror's bad bytes are caught by a piece hash and it is dropped.
    expect(result.stderr).toMatch(
      /^MIRRORS: no longer using ftp:\/\/[^ ]+: bytes \d+-\d+ it served failed their piece hash\.$/m,
    );
    expect(result.stderr).toMatch(/all 4 downloads verified by sha256/);
    const everything = result.stdout + result.stderr;
    expect(everything).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    // URLs are shown without credentials (the FTP and SFTP servers have a password).
    expect(everything).not.toMatch(/\w+:\/\/[^/\s]*@/);
  }, 60_000);

  it('with --json --quiet --keep: events and a summary on stdout, only the table on stderr, files kept', async () => {
    const result = await runCli(['demo', '--size', '256K', '--json', '-q', '--keep']);
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
    const events = jsonEvents(result.stdout);
    const summary = events.at(-1) as { type: string; rows: DemoRow[] };
    expect(summary.type).toBe('summary');
    expect(summary.rows.map((row) => [row.protocol, row.isVerified])).toEqual([
      ['HTTP', true],
      ['FTP', true],
      ['SFTP', true],
      ['MIRRORS', true],
    ]);
    expect(events.filter((event) => event.type === 'restart')).toHaveLength(3);
    expect(events.filter((event) => event.type === 'result')).toHaveLength(4);
    const kept = /kept in (\S+)$/m.exec(result.stderr)?.[1];
    expect(kept, result.stderr).toBeDefined();
    try {
      expect(await listDirectory(kept!)).toEqual([
        'demo-ftp.bin',
        'demo-http.bin',
        'demo-mirrors.bin',
        'demo-sftp.bin',
      ]);
      // The demo serves makeContent(size, 1) first and makeContent(size, 2) after the change.
      const final = sha256(makeContent(256 * 1024, 2));
      for (const name of ['demo-ftp.bin', 'demo-http.bin', 'demo-mirrors.bin', 'demo-sftp.bin']) {
        expect(await fileHash(join(kept!, name))).toBe(final);
      }
    } finally {
      await rm(kept!, { recursive: true, force: true });
    }
    // Quiet: the table and the verdict, the "kept in" line, nothing else.
    expect(linesOf(result.stderr).filter((line) => /^(HTTP|FTP|SFTP|MIRRORS):/.test(line))).toEqual([]);
  }, 60_000);

  it('refuses a size it cannot demonstrate with, as a usage error', async () => {
    const result = await runCli(['demo', '--size', '10K']);
    expect(result.code).toBe(2);
    expect(linesOf(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/--size/);
  });
});

describe('the demo table', () => {
  it('marks an unverified row and says so in the verdict', () => {
    const rows: DemoRow[] = [
      { protocol: 'HTTP', size: 2048, sentBytes: 3072, resumes: 2, restarts: 1, isVerified: true },
      { protocol: 'SFTP', size: 2048, sentBytes: 0, resumes: 0, restarts: 0, isVerified: false },
    ];
    expect(renderDemoTable(rows)).toEqual([
      'protocol  bytes     server sent  resumes  restarts  verified',
      'HTTP      2.00 KiB  3.00 KiB     2        1         ✓',
      'SFTP      2.00 KiB  0 B          0        0         ✗',
    ]);
    expect(describeVerdict(rows)).toBe('reget demo: 1 of 2 downloads not verified.');
  });
});
