import { stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overlapBytes } from './adapter-scenarios.js';
import { type CliRun, eventOf, runCli, trustFlags } from './cli.js';
import { interopEnvironment, ServedFile, servedPath } from './environment.js';
import { publish, sha256File, sizeOf, temporaryDirectory } from './files.js';

const environment = interopEnvironment();
const sampleSize = 32 * 1024 * 1024;

const protocols = [
  { name: 'http', url: (name: string) => `${environment.httpUrl}/${name}` },
  { name: 'ftp', url: (name: string) => `${environment.ftpUrl}/${name}` },
  { name: 'ftpes', url: (name: string) => `${environment.ftpesUrl}/${name}` },
  { name: 'sftp', url: (name: string) => `${environment.sftpUrl}${servedPath(name)}` },
] as const;

/** The exit codes of apps/demo/src/exit-codes.ts that these tests expect. */
const Exit = { success: 0, local: 3, identity: 5, auth: 6, remote: 7 } as const;

function expectExit(run: CliRun, code: number): void {
  expect(run.wasKilled).toBe(false);
  expect(run.exitCode, `stderr: ${run.stderr}`).toBe(code);
}

describe('the reget command against the real servers', () => {
  let directory: { path: string; remove: () => Promise<void> };
  let sampleSha256: string;
  let replacementSha256: string;

  beforeAll(async () => {
    directory = await temporaryDirectory('cli');
    sampleSha256 = await sha256File(servedPath(ServedFile.sample));
    replacementSha256 = await sha256File(servedPath(ServedFile.replacement));
  });
  afterAll(async () => {
    await directory?.remove();
  });

  /** Starts a download (rate-capped so the kill lands mid-transfer) and kills it at ~40%. */
  async function killMidTransfer(url: string, output: string): Promise<number> {
    const partial = `${output}.part`;
    const run = await runCli([url, '-o', output, '--limit-rate', '40M', ...trustFlags(url)], {
      killAtBytes: 0.4 * sampleSize,
      partial,
    });
    expect(run.wasKilled, `the run ended before the kill; stderr: ${run.stderr}`).toBe(true);
    const size = (await sizeOf(partial)) ?? 0;
    expect(size).toBeGreaterThanOrEqual(0.4 * sampleSize);
    expect(size).toBeLessThan(sampleSize);
    return size;
  }

  for (const protocol of protocols) {
    describe(protocol.name, () => {
      const output = (name: string) => join(directory.path, `${protocol.name}-${name}`);

      it('resumes after kill -9 mid-transfer, from the exact size on disk', async () => {
        const name = `cli-${protocol.name}-kill.bin`;
        await publish(name, ServedFile.sample);
        const url = protocol.url(name);
        const partialSize = await killMidTransfer(url, output(name));

        const run = await runCli([url, '-o', output(name), ...trustFlags(url)]);
        expectExit(run, Exit.success);
        expect(await sha256File(output(name))).toBe(sampleSha256);
        expect(eventOf(run, 'decision')).toMatchObject({ action: 'resume', offset: partialSize });
        const result = eventOf(run, 'result');
        expect(result?.fetchedBytes).toBeLessThanOrEqual(sampleSize - partialSize + overlapBytes);
      });

      it('restarts when the file was replaced between runs, and ends with the new version', async () => {
        const name = `cli-${protocol.name}-replaced.bin`;
        await publish(name, ServedFile.sample, 1);
        const url = protocol.url(name);
        await killMidTransfer(url, output(name));
        await publish(name, ServedFile.replacement, 2);

        const run = await runCli([url, '-o', output(name), ...trustFlags(url)]);
        expectExit(run, Exit.success);
        expect(eventOf(run, 'restart')).toMatchObject({ reason: 'remote changed' });
        expect(await sha256File(output(name))).toBe(replacementSha256);
      });

      it('runs a finished download again to exit 0, the file untouched, fetching at most the overlap', async () => {
        const name = `cli-${protocol.name}-complete.bin`;
        await publish(name, ServedFile.sample);
        const url = protocol.url(name);
        expectExit(await runCli([url, '-o', output(name), ...trustFlags(url)]), Exit.success);
        const finished = await stat(output(name));

        for (const extra of [[], ['-c', '4'], ['--continue']]) {
          const again = await runCli([url, '-o', output(name), ...extra, ...trustFlags(url)]);
          expectExit(again, Exit.success);
          expect(eventOf(again, 'result')).toMatchObject({ isAlreadyComplete: true });
          expect(eventOf(again, 'result')?.fetchedBytes).toBeLessThanOrEqual(overlapBytes);
        }
        expect((await stat(output(name))).mtimeMs).toBe(finished.mtimeMs);
        expect(await sha256File(output(name))).toBe(sampleSha256);

        // The same bytes with a time that is not the server's: not provably the remote's, left alone.
        await utimes(output(name), new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
        const refused = await runCli([url, '-o', output(name), ...trustFlags(url)]);
        expectExit(refused, Exit.local);
        expect(eventOf(refused, 'error')).toMatchObject({ code: 'EXISTS' });
        expect(await sha256File(output(name))).toBe(sampleSha256);
      });

      it('exits 7 with NOT_FOUND for a missing file', async () => {
        const url = protocol.url('no-such-file.bin');
        const run = await runCli([url, '-o', output('missing.bin'), ...trustFlags(url)]);
        expectExit(run, Exit.remote);
        expect(eventOf(run, 'error')).toMatchObject({ code: 'NOT_FOUND' });
        expect(await sizeOf(`${output('missing.bin')}.part`)).toBeUndefined();
      });
    });
  }

  describe('credentials and identities', () => {
    const output = (name: string) => join(directory.path, `identity-${name}`);

    it('exits 6 for a wrong HTTP password, without printing it', async () => {
      const url = new URL(`${environment.httpsUrl}/private/${ServedFile.sample}`);
      url.username = environment.httpUser;
      url.password = 'not-the-password';
      const run = await runCli([url.href, '-o', output('http-auth.bin'), '--ca', environment.ca]);
      expectExit(run, Exit.auth);
      expect(eventOf(run, 'error')).toMatchObject({ code: 'AUTH' });
      expect(run.stderr + JSON.stringify(run.events)).not.toContain('not-the-password');
    });

    it('exits 6 for an FTP user the server refuses', async () => {
      const url = new URL(`${environment.ftpUrl}/${ServedFile.sample}`);
      url.username = 'nobody-here';
      url.password = 'wrong-secret';
      const run = await runCli([url.href, '-o', output('ftp-auth.bin')]);
      expectExit(run, Exit.auth);
      expect(run.stderr + JSON.stringify(run.events)).not.toContain('wrong-secret');
    });

    it('exits 6 for an SSH key sshd does not authorize', async () => {
      const url = `${environment.sftpUrl}${servedPath(ServedFile.sample)}`;
      const run = await runCli([
        url,
        '-o',
        output('sftp-auth.bin'),
        '--identity',
        environment.sshOtherKey,
        '--host-key',
        environment.sshHostKey,
      ]);
      expectExit(run, Exit.auth);
    });

    it('exits 5 for a host key that is not the pinned one, showing the presented fingerprint', async () => {
      const url = `${environment.sftpUrl}${servedPath(ServedFile.sample)}`;
      const run = await runCli([
        url,
        '-o',
        output('sftp-host-key.bin'),
        '--identity',
        environment.sshKey,
        '--host-key',
        environment.sshOtherHostKey,
      ]);
      expectExit(run, Exit.identity);
      expect(eventOf(run, 'error')).toMatchObject({ code: 'HOST_KEY' });
      expect(run.stderr).toContain(environment.sshHostKey);
    });

    it('exits 5 for a known_hosts file that does not list the server', async () => {
      const url = `${environment.sftpUrl}${servedPath(ServedFile.sample)}`;
      const run = await runCli([
        url,
        '-o',
        output('sftp-known-hosts.bin'),
        '--identity',
        environment.sshKey,
        '--known-hosts',
        '/dev/null',
      ]);
      expectExit(run, Exit.identity);
    });

    for (const base of [environment.ftpesUrl, environment.httpsUrl]) {
      const scheme = new URL(base).protocol.replace(':', '');
      it(`${scheme}: exits 5 without --ca for the self-signed certificate, 0 with it`, async () => {
        const url = `${base}/${ServedFile.sample}`;
        const refused = await runCli([url, '-o', output(`${scheme}-no-ca.bin`)]);
        expectExit(refused, Exit.identity);
        expect(eventOf(refused, 'error')).toMatchObject({ code: 'TLS' });

        const trusted = await runCli([url, '-o', output(`${scheme}-ca.bin`), '--ca', environment.ca]);
        expectExit(trusted, Exit.success);
        expect(await sha256File(output(`${scheme}-ca.bin`))).toBe(sampleSha256);
      });
    }
  });
});
