import { execFileSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { overlapBytes } from './adapter-scenarios.js';
import { eventOf, runCli, trustFlags } from './cli.js';
import { interopEnvironment, ServedFile, servedPath } from './environment.js';
import { sha256File, sizeOf } from './files.js';

/**
 * Disk full (issue 7, FAULTS LOC-01): a 32 MiB download into an 8 MiB tmpfs must stop with the
 * local-file exit code and keep a partial that resumes once there is room. Needs root (mount);
 * when mounting is not permitted the test fails and says so: it never skips.
 */

const environment = interopEnvironment();
const sampleSize = 32 * 1024 * 1024;
const Exit = { success: 0, local: 3 } as const;

const protocols = [
  { name: 'http', url: `${environment.httpUrl}/${ServedFile.sample}` },
  { name: 'ftp', url: `${environment.ftpUrl}/${ServedFile.sample}` },
  { name: 'sftp', url: `${environment.sftpUrl}${servedPath(ServedFile.sample)}` },
] as const;

function mount(args: readonly string[]): void {
  try {
    execFileSync('mount', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(
      `The disk-full test needs to mount a small tmpfs and could not (mount ${args.join(' ')}: ${stderr}). ` +
        'Run the interop tier as root on a machine that allows mounts.',
    );
  }
}

describe('disk full: a small tmpfs fills up mid-download', () => {
  // Under run.sh's work folder: run.sh unmounts whatever a crashed test leaves mounted there.
  const mounts: string[] = [];

  afterEach(async () => {
    for (const mountpoint of mounts.splice(0)) {
      execFileSync('umount', [mountpoint]);
      await rm(mountpoint, { recursive: true, force: true });
    }
  });

  for (const protocol of protocols) {
    it(`${protocol.name}: exits 3 when the disk is full, and resumes once there is room`, async () => {
      const mountpoint = join(environment.directory, `disk-full-${protocol.name}-${process.pid}`);
      await mkdir(mountpoint, { recursive: true });
      mount(['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountpoint]);
      mounts.push(mountpoint);
      const output = join(mountpoint, 'sample.bin');

      const full = await runCli([protocol.url, '-o', output, ...trustFlags(protocol.url)]);
      expect(full.exitCode, `stderr: ${full.stderr}`).toBe(Exit.local);
      expect(eventOf(full, 'error')).toMatchObject({ code: 'LOCAL_IO' });
      expect(full.stderr.toLowerCase()).toContain('no space left');
      const partialSize = (await sizeOf(`${output}.part`)) ?? 0;
      expect(partialSize).toBeGreaterThan(0);
      expect(await sizeOf(output)).toBeUndefined();

      mount(['-o', 'remount,size=64m', mountpoint]);
      const resumed = await runCli([protocol.url, '-o', output, ...trustFlags(protocol.url)]);
      expect(resumed.exitCode, `stderr: ${resumed.stderr}`).toBe(Exit.success);
      expect(await sha256File(output)).toBe(await sha256File(servedPath(ServedFile.sample)));
      expect(eventOf(resumed, 'decision')).toMatchObject({ action: 'resume' });
      const result = eventOf(resumed, 'result');
      expect(result?.fetchedBytes).toBeLessThanOrEqual(sampleSize - partialSize + overlapBytes);
    });
  }
});
