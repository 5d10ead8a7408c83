import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DownloadEvent, download } from '@reget/core';
import { createFtpAdapter } from '@reget/ftp';
import { createHttpAdapter } from '@reget/http';
import { createSftpAdapter } from '@reget/sftp';
import { pieceHashesOf, tamperEveryPiece } from '@reget/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventOf, runCli, trustFlags } from './cli.js';
import { interopEnvironment, ServedFile, servedPath } from './environment.js';
import { differingRegions, largeServedFile, sha256File, temporaryDirectory } from './files.js';

/**
 * nginx, vsftpd and OpenSSH's sshd as three mirrors of one file: the library takes segments from
 * all three, heals a piece one of them serves wrong, and the CLI resumes after a kill -9 with
 * another list of mirrors.
 */
const environment = interopEnvironment();
const httpUrl = (name: string) => `${environment.httpUrl}/${name}`;
const ftpUrl = (name: string) => `${environment.ftpUrl}/${name}`;
const sftpUrl = (name: string) => `${environment.sftpUrl}${servedPath(name)}`;
const adapters = () => [
  createHttpAdapter(),
  createFtpAdapter(),
  createSftpAdapter({ identity: environment.sshKey, hostKey: environment.sshHostKey }),
];
const pieceLength = 1 << 20;
const tamperedName = 'mirrors-tampered.bin';

describe('mirrors: nginx, vsftpd and sshd serving one file', () => {
  let directory: { path: string; remove: () => Promise<void> };
  let sample: Buffer;

  beforeAll(async () => {
    directory = await temporaryDirectory('mirrors');
    sample = await readFile(servedPath(ServedFile.sample));
    // The same size, one byte changed in every piece: whatever range a mirror serves from it is wrong.
    await writeFile(servedPath(tamperedName), tamperEveryPiece(sample, pieceLength));
  });
  afterAll(async () => {
    await rm(servedPath(tamperedName), { force: true });
    await directory?.remove();
  });

  it('takes segments from all three servers at once and ends byte-identical', async () => {
    const destination = join(directory.path, 'three.bin');
    const result = await download({
      url: httpUrl(ServedFile.sample),
      mirrors: [ftpUrl(ServedFile.sample), sftpUrl(ServedFile.sample)],
      destination,
      adapters: adapters(),
      minSegmentBytes: 2 << 20,
      retryDelayMs: 10,
    });
    expect(await sha256File(destination)).toBe(await sha256File(servedPath(ServedFile.sample)));
    expect(result.sources?.map((source) => source.bytes > 0)).toEqual([true, true, true]);
    expect(result.sources?.every((source) => source.dropped === undefined)).toBe(true);
  });

  it('drops the mirror whose pieces fail their hashes and fetches them from the others', async () => {
    const destination = join(directory.path, 'healed.bin');
    const events: DownloadEvent[] = [];
    const result = await download({
      url: sftpUrl(ServedFile.sample),
      mirrors: [ftpUrl(tamperedName), httpUrl(ServedFile.sample)],
      destination,
      adapters: adapters(),
      pieces: pieceHashesOf(sample, pieceLength),
      onEvent: (event) => events.push(event),
      retryDelayMs: 10,
    });
    expect(await sha256File(destination)).toBe(await sha256File(servedPath(ServedFile.sample)));
    const dropped = events.flatMap((event) => (event.type === 'source-dropped' ? [event.url] : []));
    expect(dropped).toEqual([ftpUrl(tamperedName)]);
    expect(result.sources?.[1]?.dropped).toMatch(/piece hash/);
  });

  it('resumes after a kill -9 with another list of mirrors (the CLI)', async () => {
    const large = await largeServedFile();
    const output = join(directory.path, 'large.bin');
    const trust = [...trustFlags(sftpUrl(ServedFile.large))];
    const killed = await runCli(
      [
        ...trust,
        '-o',
        output,
        httpUrl(ServedFile.large),
        '--mirror',
        ftpUrl(ServedFile.large),
        '--mirror',
        sftpUrl(ServedFile.large),
      ],
      { killAtBytes: Math.floor(large.total / 3), partial: `${output}.part`, measure: 'allocated' },
    );
    expect(killed.wasKilled, killed.stderr).toBe(true);
    const resumed = await runCli([
      ...trust,
      '-o',
      output,
      sftpUrl(ServedFile.large),
      '--mirror',
      httpUrl(ServedFile.large),
    ]);
    expect({ exitCode: resumed.exitCode, stderr: resumed.stderr }).toMatchObject({ exitCode: 0 });
    expect(eventOf(resumed, 'decision')?.action).toBe('resume');
    const actual = await sha256File(output);
    if (actual !== large.sha256) {
      throw new Error(`the file differs: ${await differingRegions(output, servedPath(ServedFile.large))}`);
    }
  });
});
