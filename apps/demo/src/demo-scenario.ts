import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  type DownloadEvent,
  type DownloadOptions,
  type DownloadResult,
  download,
  ErrorCode,
  isRegetError,
} from '@reget/core';
import type { ConformanceServer } from '@reget/testkit';
import {
  describeCut,
  describeFirstRun,
  describeFirstRunCut,
  describeReplacement,
  describeVerification,
} from './demo-messages.js';
import type { DemoProtocol } from './demo-servers.js';
import { exitCodeFor } from './exit-codes.js';
import type { Job } from './job.js';
import type { Reporter } from './reporter.js';

/** The two versions of the demo file: the one first served, and the one that replaces it. */
export interface DemoVersions {
  readonly first: Uint8Array;
  readonly second: Uint8Array;
  /** Hex sha256 of `second`, what every download must end with. */
  readonly secondSha256: string;
}

/** What one protocol's scenario needs. */
export interface ScenarioContext {
  readonly protocol: DemoProtocol;
  readonly server: ConformanceServer;
  /** The server path of the demo file, e.g. `/demo.bin`. */
  readonly path: string;
  /** The download: URL (with credentials), destination, label. */
  readonly job: Job;
  readonly versions: DemoVersions;
  /** Body bytes after which the server drops a response. */
  readonly cutAfterBytes: number;
  readonly limitRateBytesPerSecond: number;
  readonly reporter: Reporter;
  /** Prints a narrative line (nothing with `--quiet`). */
  readonly narrate: (line: string) => void;
  readonly signal: AbortSignal;
}

/** One row of the demo's summary table. */
export interface DemoRow {
  /** The protocol, or `MIRRORS` for the scene that uses all three at once. */
  readonly protocol: DemoProtocol | 'MIRRORS';
  /** Size of the file. */
  readonly size: number;
  /** File bytes the server sent over both runs (cut responses included). */
  readonly sentBytes: number;
  readonly resumes: number;
  readonly restarts: number;
  readonly isVerified: boolean;
}

/**
 * Runs one protocol's story: a first run that the server cuts with retries off (the partial stays),
 * the file replaced on the server, a second run that must detect the change, restart, survive two
 * more cuts by resuming, and end with the new version, checked here by sha256. Rejects only when
 * the run is aborted (Ctrl-C); any other failure is reported and gives an unverified row.
 */
export async function runScenario(context: ScenarioContext): Promise<DemoRow> {
  const { protocol, server, job, versions, reporter, narrate } = context;
  const row = { protocol, size: versions.second.length, resumes: 0, restarts: 0 };
  const lastProgress: { bytesOnDisk?: number; total?: number | undefined } = {};
  const onEvent = (event: DownloadEvent) => {
    if (event.type === 'progress' || event.type === 'decision') {
      lastProgress.bytesOnDisk = event.type === 'progress' ? event.bytesOnDisk : event.offset;
      lastProgress.total = event.total;
    }
    if (event.type === 'retry') narrate(describeCut(protocol));
    reporter.event(job, event);
  };
  const options: DownloadOptions = {
    url: job.url,
    destination: job.destination,
    adapters: [server.adapter],
    signal: context.signal,
    onEvent,
    // Short waits keep the story moving; the retry lines still show them.
    retryDelayMs: 300,
    connectTimeoutMs: 10_000,
    idleTimeoutMs: 10_000,
    limitRateBytesPerSecond: context.limitRateBytesPerSecond,
  };
  const failed = (error: unknown): DemoRow => {
    if (context.signal.aborted) throw error;
    reporter.failed(job, error, exitCodeFor(error), progressOf(lastProgress));
    return { ...row, sentBytes: server.bytesSent(), isVerified: false };
  };

  server.resetCounters();
  await server.putFile(context.path, versions.first);
  server.setFaults({ dropAfterBytes: context.cutAfterBytes, dropTimes: 1 });
  for (const line of describeFirstRun(protocol, job.displayUrl, context.cutAfterBytes)) narrate(line);
  const firstError = await download({ ...options, retries: 0 }).then(
    () => undefined,
    (error: unknown) => error,
  );
  // Without the cut the second run would find a finished file, and the story could not go on.
  if (firstError === undefined) return failed(new Error(`the ${protocol} server did not cut the first run.`));
  if (!isCut(firstError)) return failed(firstError);
  narrate(describeFirstRunCut(protocol, await partialSize(job.destination)));

  await server.putFile(context.path, versions.second);
  server.setFaults({ dropAfterBytes: context.cutAfterBytes, dropTimes: 2 });
  for (const line of describeReplacement(protocol, context.cutAfterBytes)) narrate(line);
  const startedAt = Date.now();
  let result: DownloadResult;
  try {
    result = await download({ ...options, retries: 5 });
  } catch (error) {
    return failed(error);
  }
  server.setFaults({});
  reporter.succeeded(job, result, Date.now() - startedAt);
  const actual = await sha256OfFile(result.destination);
  const isVerified = actual === versions.secondSha256;
  narrate(describeVerification(protocol, actual, isVerified));
  return {
    ...row,
    sentBytes: server.bytesSent(),
    resumes: result.resumes,
    restarts: result.restarts,
    isVerified,
  };
}

/** A cut the first run is meant to end with: a network failure that leaves a resumable partial. */
function isCut(error: unknown): boolean {
  return isRegetError(error, ErrorCode.NETWORK, ErrorCode.PARTIAL, ErrorCode.TIMEOUT);
}

function progressOf(last: { bytesOnDisk?: number; total?: number | undefined }) {
  return last.bytesOnDisk === undefined ? undefined : { bytesOnDisk: last.bytesOnDisk, total: last.total };
}

/** Bytes of `<destination>.part`, core's partial file (positional writes: its size is the end written). */
async function partialSize(destination: string): Promise<number> {
  return (await stat(`${destination}.part`).catch(() => undefined))?.size ?? 0;
}

/** Hex sha256 of a file, read as a stream (the demo file can be large). */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
