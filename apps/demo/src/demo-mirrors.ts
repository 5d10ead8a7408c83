import { join } from 'node:path';
import { type DownloadEvent, type DownloadResult, download, redactUrl } from '@reget/core';
import { type ConformanceServer, pieceHashesOf, tamperEveryPiece } from '@reget/testkit';
import { type DemoRow, type DemoVersions, sha256OfFile } from './demo-scenario.js';
import { exitCodeFor } from './exit-codes.js';
import type { Job } from './job.js';
import type { Reporter } from './reporter.js';

/** The label of the mirrors scene in the demo's lines and table. */
export const mirrorsLabel = 'MIRRORS';
const pieceLength = 256 * 1024;
const mirrorPath = '/mirrored.bin';

/** What the mirrors scene needs: the three servers, the file, where to put it. */
export interface MirrorsContext {
  readonly http: ConformanceServer;
  readonly ftp: ConformanceServer;
  readonly sftp: ConformanceServer;
  readonly versions: DemoVersions;
  readonly directory: string;
  readonly index: number;
  readonly limitRateBytesPerSecond: number;
  readonly reporter: Reporter;
  readonly narrate: (line: string) => void;
  readonly scrub: (url: URL) => void;
  readonly signal: AbortSignal;
}

/**
 * The mirrors scene: one file from the HTTP, FTP and SFTP servers at once, where the FTP mirror
 * serves one wrong byte in every 256 KiB piece. Piece hashes (as a Metalink gives them) catch its
 * first piece, reget drops it and fetches those bytes from the other two; the file is then checked
 * here by sha256. Rejects only when aborted.
 */
export async function runMirrorsScene(context: MirrorsContext): Promise<DemoRow> {
  const { http, ftp, sftp, versions, reporter, narrate } = context;
  const file = versions.second;
  await Promise.all([
    http.putFile(mirrorPath, file),
    ftp.putFile(mirrorPath, tamperEveryPiece(file, pieceLength)),
    sftp.putFile(mirrorPath, file),
  ]);
  for (const server of [http, ftp, sftp]) {
    server.setFaults({});
    server.resetCounters();
  }
  const url = new URL(http.url(mirrorPath));
  const mirrors = [new URL(ftp.url(mirrorPath)), new URL(sftp.url(mirrorPath))];
  for (const mirror of [url, ...mirrors]) context.scrub(mirror);
  const destination = join(context.directory, 'demo-mirrors.bin');
  const job: Job = {
    index: context.index,
    url,
    displayUrl: redactUrl(url),
    destination,
    label: mirrorsLabel,
  };
  narrate('');
  narrate(`${mirrorsLabel}: one file from the HTTP, FTP and SFTP servers at once, a segment from each.`);
  narrate(
    `${mirrorsLabel}: the FTP mirror serves one wrong byte in every 256 KiB; the piece hashes (as a Metalink gives them) must catch it.`,
  );
  const row = { protocol: mirrorsLabel, size: file.length, resumes: 0, restarts: 0 } as const;
  const sent = () => http.bytesSent() + ftp.bytesSent() + sftp.bytesSent();
  const startedAt = Date.now();
  let result: DownloadResult;
  try {
    result = await download({
      url,
      mirrors,
      destination,
      adapters: [http.adapter, ftp.adapter, sftp.adapter],
      pieces: pieceHashesOf(file, pieceLength),
      signal: context.signal,
      onEvent: (event: DownloadEvent) => reporter.event(job, event),
      retryDelayMs: 300,
      connectTimeoutMs: 10_000,
      idleTimeoutMs: 10_000,
      // Each connection at the demo's pace: three sources fetch about three times as fast.
      limitRateBytesPerSecond: context.limitRateBytesPerSecond * 3,
    });
  } catch (error) {
    if (context.signal.aborted) throw error;
    reporter.failed(job, error, exitCodeFor(error), undefined);
    return { ...row, sentBytes: sent(), isVerified: false };
  }
  reporter.succeeded(job, result, Date.now() - startedAt);
  const actual = await sha256OfFile(destination);
  const isVerified = actual === versions.secondSha256;
  const bySource = (result.sources ?? [])
    .map((source) => `${new URL(source.url).protocol.replace(':', '').toUpperCase()} ${source.bytes}`)
    .join(', ');
  narrate(`${mirrorsLabel}: bytes written per source: ${bySource}.`);
  narrate(
    isVerified
      ? `${mirrorsLabel}: sha256 ${actual.slice(0, 16)}… matches the file: the bad mirror's bytes never stayed. ✓`
      : `${mirrorsLabel}: sha256 ${actual.slice(0, 16)}… does NOT match the file. ✗`,
  );
  return { ...row, sentBytes: sent(), resumes: result.resumes, restarts: result.restarts, isVerified };
}
