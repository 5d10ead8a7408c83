import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Checksum } from './checksum.js';
import type { Adapter } from './contract.js';
import { type DestinationPaths, pathKind } from './destination.js';
import { asRegetError, ErrorCode, localError, RegetError } from './errors.js';
import type { DownloadEvent } from './events.js';
import { checkFinished, type FinishedCheck } from './finished-check.js';
import type { DownloadOptions, DownloadResult } from './options.js';
import type { ResolvedOptions } from './resolve-options.js';
import { RetryBudget, waitToRetry } from './retry.js';
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
    onEvent: DownloadOptions['onEvent'];
  },
): Promise<DownloadResult> {
  const { signal, checksum } = context;
  const emit = (event: DownloadEvent) => context.onEvent?.(event);
  const check = await checkWithRetries(paths.destination, context, emit);
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

/** The hex digest of the file at `path` (a finished file checked again against `checksum`). */
async function digestOf(path: string, checksum: Checksum, signal: AbortSignal): Promise<string> {
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

/** The check, retried as a download's attempts are (same budget, same fail-fast on a typo). */
async function checkWithRetries(
  path: string,
  context: { adapter: Adapter; url: URL; signal: AbortSignal; settings: ResolvedOptions },
  emit: (event: DownloadEvent) => void,
): Promise<FinishedCheck> {
  const { settings, signal } = context;
  const budget = new RetryBudget(settings.retries);
  let hasReachedServer = false;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await checkFinished(path, context.adapter, context.url, {
        connectTimeoutMs: settings.connectTimeoutMs,
        idleTimeoutMs: settings.idleTimeoutMs,
        signal,
        windowBytes: settings.overlapBytes,
        onStat: () => {
          hasReachedServer = true;
        },
      });
    } catch (caught) {
      await waitToRetry(asRegetError(caught, signal), {
        budget,
        madeProgress: false,
        hasReachedServer,
        attempt,
        retryDelayMs: settings.retryDelayMs,
        signal,
        emit,
        bytesOnDisk: 0,
        total: undefined,
      });
    }
  }
}
