import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { seededRandom } from '@reget/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overlapBytes } from './adapter-scenarios.js';
import { eventOf, runCli, trustFlags } from './cli.js';
import { interopEnvironment, optionalSetting, ServedFile, servedPath } from './environment.js';
import { alias, largeServedFile, sha256File, temporaryDirectory } from './files.js';

/**
 * The crash tier for segmented downloads (issue 8): `reget --connections 4` against nginx, vsftpd
 * and sshd, killed with SIGKILL at seeded random points, then run again. Segments leave holes, so a
 * rerun must resume every segment from the journal's ranges — never restart, and never fetch more
 * than the missing bytes plus one verification overlap per gap — and the file must end
 * byte-identical. REGET_CRASH_SEED replays a failed run; REGET_SEGMENT_KILLS sets kills per protocol.
 */

const environment = interopEnvironment();
const killsPerProtocol = Number(optionalSetting('REGET_SEGMENT_KILLS') ?? 3);
const seed = Number(optionalSetting('REGET_CRASH_SEED') ?? Math.floor(Math.random() * 2 ** 31));
const connections = 4;

const protocols = [
  { name: 'http', url: (name: string) => `${environment.httpUrl}/${name}` },
  { name: 'ftp', url: (name: string) => `${environment.ftpUrl}/${name}` },
  { name: 'sftp', url: (name: string) => `${environment.sftpUrl}${servedPath(name)}` },
] as const;

/** The journal's claimed ranges: what a rerun may take as on disk. */
async function claimedRanges(journal: string): Promise<Array<[number, number]>> {
  try {
    return (JSON.parse(await readFile(journal, 'utf8')) as { ranges: Array<[number, number]> }).ranges;
  } catch {
    return [];
  }
}

describe('crash tier, segmented: kill -9 during a 4-connection download, resume every segment', () => {
  let directory: { path: string; remove: () => Promise<void> };
  let total: number;
  let expectedSha256: string;

  beforeAll(async () => {
    directory = await temporaryDirectory('crash-segments');
    ({ total, sha256: expectedSha256 } = await largeServedFile());
    console.log(`segmented crash tier: seed ${seed} (replay with REGET_CRASH_SEED=${seed})`);
  });
  afterAll(async () => {
    await directory?.remove();
  });

  protocols.forEach((protocol, index) => {
    it(`${protocol.name}: ${killsPerProtocol} kills with ${connections} connections, then byte-identical`, {
      timeout: 60_000 + killsPerProtocol * 20_000,
    }, async () => {
      const random = seededRandom(seed + 100 + index);
      const name = `crash-segments-${protocol.name}.bin`;
      await alias(name, ServedFile.large);
      const url = protocol.url(name);
      const output = join(directory.path, name);
      const partial = `${output}.part`;
      // Capped so that a run spans several journal checkpoints (one a second): kills land between them.
      const args = [url, '-o', output, '--connections', String(connections), '--limit-rate', '80M'];
      args.push(...trustFlags(url));
      let kills = 0;
      while (kills < killsPerProtocol) {
        // Segments leave holes, so the partial's size runs ahead of the bytes in it: the kill point
        // counts allocated bytes, anywhere in the first 90% of the file.
        const killAt = 1 + Math.floor(random() * 0.9 * total);
        const run = await runCli(args, { killAtBytes: killAt, partial, measure: 'allocated' });
        expect(eventOf(run, 'restart'), `run ${kills} restarted: ${run.stderr}`).toBeUndefined();
        if (!run.wasKilled) break;
        kills += 1;
      }
      const claimed = await claimedRanges(`${output}.reget`);
      const claimedBytes = claimed.reduce((sum, [start, end]) => sum + end - start, 0);
      const run = await runCli(args);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(eventOf(run, 'restart')).toBeUndefined();
      expect(await sha256File(output)).toBe(expectedSha256);
      // Only what was missing: one verification overlap per gap, plus what a connection had in
      // flight when another took over the end of its range (a chunk, or SFTP's pipelined reads).
      const result = eventOf(run, 'result');
      const inFlight = connections * 2 ** 20;
      expect(result?.fetchedBytes).toBeLessThanOrEqual(
        total - claimedBytes + (claimed.length + 1) * overlapBytes + inFlight,
      );
      console.log(
        `segmented crash tier ${protocol.name}: ${kills} kills, ${claimed.length} journalled ranges ` +
          `(${(claimedBytes / 2 ** 20).toFixed(1)} MiB) kept, last run fetched ` +
          `${(Number(result?.fetchedBytes ?? 0) / 2 ** 20).toFixed(1)} MiB`,
      );
      await rm(output, { force: true });
    });
  });
});
