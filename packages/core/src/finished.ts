import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat, utimes } from 'node:fs/promises';
import type { Checksum } from './checksum.js';
import type { Adapter, Remote, RemoteStat } from './contract.js';
import { type DestinationPaths, pathKind } from './destination.js';
import { ErrorCode, localError, RegetError } from './errors.js';
import type { DownloadEvent } from './events.js';
import type { DownloadResult } from './options.js';
import type { ResolvedOptions } from './resolve-options.js';
import { abortable } from './timeout.js';
import { redactUrl } from './url.js';

/**
 * Whether the destination stands finished from an earlier run (a file, no partial, no journal) and
 * the policy asks to leave it alone unless it is the remote's current version.
 */
export async function isFinishedBefore(
  paths: DestinationPaths,
  policy: 'error' | 'overwrite' | 'continue',
): Promise<boolean> {
  if (policy !== 'error' || (await pathKind(paths.destination)) !== 'file') return false;
  return (await pathKind(paths.partial)) === 'missing' && (await pathKind(paths.journal)) === 'missing';
}

/**
 * A finished download run again (FAULTS LOC-07): "already complete" when the file is the remote's
 * current version, having fetched at most the overlap window; EXISTS when it is not. The file is
 * never written to, appended to or renamed.
 */
export async function confirmFinished(
  paths: DestinationPaths,
  context: {
    adapter: Adapter;
    url: URL;
    checksum: Checksum | undefined;
    signal: AbortSignal;
    settings: ResolvedOptions;
    onEvent: ((event: DownloadEvent) => void) | undefined;
  },
): Promise<DownloadResult> {
  const { signal, settings, checksum } = context;
  const emit = (event: DownloadEvent) => context.onEvent?.(event);
  const check = await checkFinished(paths.destination, context.adapter, context.url, {
    connectTimeoutMs: settings.connectTimeoutMs,
    signal,
    windowBytes: settings.overlapBytes,
  });
  const { stat: remoteStat } = check;
  emit({
    type: 'probe',
    url: redactUrl(remoteStat.url),
    total: remoteStat.size,
    acceptsRanges: remoteStat.acceptsRanges,
  });
  if (!check.isCurrent) {
    throw new RegetError(
      ErrorCode.EXISTS,
      `${paths.destination} already exists and is not the remote's current version (${check.reason}); use overwrite to replace it or continue to resume it.`,
      { retryable: false },
    );
  }
  const size = check.size ?? 0;
  emit({ type: 'decision', action: 'complete', offset: size, total: size, reason: check.reason });
  const digest = checksum ? await digestOf(paths.destination, checksum, signal) : undefined;
  if (checksum && digest !== checksum.hex) {
    throw new RegetError(
      ErrorCode.CHECKSUM,
      `The ${checksum.algorithm} checksum does not match (expected ${checksum.hex}, got ${digest}); the file was left as it was.`,
      { retryable: false },
    );
  }
  emit({
    type: 'progress',
    bytesOnDisk: size,
    total: size,
    bytesPerSecond: 0,
    etaSeconds: 0,
    connections: 0,
  });
  emit({ type: 'complete', size, isAlreadyComplete: true });
  return {
    destination: paths.destination,
    size,
    fetchedBytes: check.fetchedBytes,
    isAlreadyComplete: true,
    resumes: 0,
    restarts: 0,
    checksum: checksum ? `${checksum.algorithm}:${digest}` : undefined,
  };
}

/** What a finished file on disk is, compared with the remote now. */
export interface FinishedCheck {
  /** True when the file on disk is the remote's current version. */
  readonly isCurrent: boolean;
  /** Why, in words for the decision event. */
  readonly reason: string;
  /** The remote's size (the file's size when current). */
  readonly size: number | undefined;
  /** Bytes read from the remote to decide (at most the tail window). */
  readonly fetchedBytes: number;
}

/**
 * Whether the file at `path` (a finished download, run again) is the remote's current version,
 * fetching at most `windowBytes`. With a modification time from the server, size and time prove it
 * without reading (reget sets the finished file's time from the server's, as wget does); without
 * one, the size and the last `windowBytes` bytes, compared with the remote's, must agree. A server
 * that will not serve the tail from its offset proves nothing: not current.
 */
export async function checkFinished(
  path: string,
  adapter: Adapter,
  url: URL,
  options: { connectTimeoutMs: number; signal: AbortSignal; windowBytes: number },
): Promise<FinishedCheck & { readonly stat: RemoteStat }> {
  const { signal } = options;
  const remote = await abortable(
    adapter.open(url, { signal, connectTimeoutMs: options.connectTimeoutMs }),
    signal,
  );
  try {
    const remoteStat = await abortable(remote.stat(signal), signal);
    const local = await stat(path).catch((error: unknown) => {
      throw localError(error, 'read', path);
    });
    const verdict = await compare(path, local.size, local.mtimeMs, remoteStat, remote, options);
    return { ...verdict, stat: remoteStat };
  } finally {
    await remote.close().catch(() => undefined);
  }
}

async function compare(
  path: string,
  localSize: number,
  localMtimeMs: number,
  remoteStat: RemoteStat,
  remote: Remote,
  options: { signal: AbortSignal; windowBytes: number },
): Promise<FinishedCheck> {
  const size = remoteStat.size;
  if (size === undefined) {
    return {
      isCurrent: false,
      reason: 'the server does not say how large the file is',
      size,
      fetchedBytes: 0,
    };
  }
  if (size !== localSize) {
    return {
      isCurrent: false,
      reason: `it has ${localSize} bytes, the remote ${size}`,
      size,
      fetchedBytes: 0,
    };
  }
  if (remoteStat.modifiedAt !== undefined) {
    // Servers give whole seconds (Last-Modified, SFTP); file systems keep more.
    const isSameTime = Math.floor(localMtimeMs / 1000) === Math.floor(remoteStat.modifiedAt.getTime() / 1000);
    return isSameTime
      ? { isCurrent: true, reason: 'same size and modification time as the remote', size, fetchedBytes: 0 }
      : { isCurrent: false, reason: 'its modification time differs from the remote', size, fetchedBytes: 0 };
  }
  if (size === 0) return { isCurrent: true, reason: 'both are empty', size, fetchedBytes: 0 };
  const start = Math.max(0, size - options.windowBytes);
  const wanted = size - start;
  const local = await readTail(path, start, wanted);
  const response = await abortable(remote.read({ start, end: size, signal: options.signal }), options.signal);
  let received = 0;
  let isSame = response.start === start && !response.isUnsatisfiable;
  if (isSame) {
    for await (const chunk of response.body) {
      const take = Math.min(chunk.byteLength, wanted - received);
      if (
        !Buffer.from(chunk.buffer, chunk.byteOffset, take).equals(local.subarray(received, received + take))
      ) {
        isSame = false;
      }
      received += take;
      if (!isSame || received >= wanted) break;
    }
  }
  const fetchedBytes = received;
  if (isSame && received === wanted) {
    return {
      isCurrent: true,
      reason: `same size, and the last ${wanted} bytes match the remote`,
      size,
      fetchedBytes,
    };
  }
  return {
    isCurrent: false,
    reason:
      response.start === start
        ? 'its last bytes differ from the remote'
        : 'the server would not send the tail to compare',
    size,
    fetchedBytes,
  };
}

async function readTail(path: string, start: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw localError(error, 'read', path);
  });
  try {
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, start + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } catch (error) {
    throw localError(error, 'read', path);
  } finally {
    await handle.close();
  }
}

/** The hex digest of the file at `path` (a finished file checked again against `checksum`). */
export async function digestOf(path: string, checksum: Checksum, signal: AbortSignal): Promise<string> {
  const hash = createHash(checksum.algorithm);
  try {
    for await (const chunk of createReadStream(path, { signal, highWaterMark: 1 << 20 }))
      hash.update(chunk as Buffer);
  } catch (error) {
    if (signal.aborted)
      throw new RegetError(ErrorCode.ABORTED, 'The check was interrupted.', { cause: error });
    throw localError(error, 'read', path);
  }
  return hash.digest('hex');
}

/**
 * Gives the finished file the remote's modification time, so a later run can tell by size and time
 * that it is still current. A file system that refuses only costs that later run a tail comparison
 * or an EXISTS error, never a wrong file: the failure is ignored.
 */
export async function stampModifiedTime(path: string, modifiedAt: Date | undefined): Promise<void> {
  if (modifiedAt === undefined || Number.isNaN(modifiedAt.getTime())) return;
  await utimes(path, new Date(), modifiedAt).catch(() => undefined);
}
