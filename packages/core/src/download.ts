import { lstat, rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { runAttempt } from './attempt.js';
import { parseChecksum, StreamingHasher } from './checksum.js';
import { checkDestination, destinationPaths, pathKind } from './destination.js';
import { asRegetError, ErrorCode, localError, RegetError } from './errors.js';
import { confirmFinished, isFinishedBefore } from './finished.js';
import { readJournal, removeJournal, removeJournalDebris } from './journal.js';
import { acquireLock } from './lock.js';
import type { DownloadOptions, DownloadResult } from './options.js';
import type { FileIdentity } from './partial.js';
import { checkPieceHashes, PieceVerifier } from './pieces.js';
import { hashFile, strongestDigest } from './published-digest.js';
import { RateLimiter } from './rate-limit.js';
import { resolveOptions } from './resolve-options.js';
import { RetryBudget, waitToRetry } from './retry.js';
import { DownloadSession } from './session.js';
import { SourceSet } from './sources.js';
import { adapterFor, parseUrl, redactUrl } from './url.js';

/**
 * Downloads `options.url` to `options.destination`, resuming whatever a previous run left, and
 * retrying transient failures from the bytes on disk. The finished file is one version of the
 * remote, verified by size (and checksum when given), or the call rejects with a RegetError and the
 * partial stays resumable.
 */
export async function download(options: DownloadOptions): Promise<DownloadResult> {
  const settings = resolveOptions(options);
  const url = parseUrl(options.url);
  const adapter = adapterFor(url, options.adapters);
  const checksum = options.checksum === undefined ? undefined : parseChecksum(options.checksum);
  if (options.pieces) checkPieceHashes(options.pieces);
  const paths = destinationPaths(resolve(options.destination));
  const signal = options.signal ?? new AbortController().signal;
  await checkDestination(paths);
  const lock = await acquireLock(paths.lock, { host: options.lockHost, leaseMs: options.lockLeaseMs });
  await removeJournalDebris(paths.journal);
  let session: DownloadSession | undefined;
  let hasher: StreamingHasher | undefined;
  /** The user's file moved to the partial's name by `ifExists: 'continue'`: which file it is. */
  let continued: FileIdentity | undefined;
  try {
    if (await isFinishedBefore(paths, settings.ifExists)) {
      return await confirmFinished(paths, {
        adapter,
        url,
        checksum,
        signal,
        settings,
        onEvent: options.onEvent,
      });
    }
    continued = await adoptExisting(paths, settings.ifExists);
    hasher =
      checksum &&
      new StreamingHasher(checksum.algorithm, (position, length) => session!.readAt(position, length));
    session = new DownloadSession({
      paths,
      url: redactUrl(url),
      emit: (event) => options.onEvent?.(event),
      hasher,
      progressIntervalMs: settings.progressIntervalMs,
      // A disk as slow as the idle timeout is told, not taken for a silent server.
      diskStallMs: settings.idleTimeoutMs,
      durable: settings.durable,
    });
    if (options.pieces) {
      const current = session;
      current.pieces = new PieceVerifier(
        options.pieces,
        (position, length) => current.readAt(position, length),
        async (range) => {
          if (current.pieceFailureHandler) await current.pieceFailureHandler(range);
          else await current.rollback(...range);
        },
      );
    }
    const rateLimiter = settings.limitRateBytesPerSecond
      ? new RateLimiter(settings.limitRateBytesPerSecond)
      : undefined;
    const sources = new SourceSet([url, ...(options.mirrors ?? [])], options.adapters, (event) =>
      options.onEvent?.(event),
    );
    if (sources.isMulti) session.sourceReport = () => sources.report();
    const attempt = {
      sources,
      hasHashes: checksum !== undefined || options.pieces !== undefined,
      followDuplicates: options.followDuplicates === true,
      rateLimiter,
      ...settings,
      // With mirrors and no count given: one connection per source in use.
      isConnectionPerSource:
        options.connections === undefined && (sources.isMulti || options.followDuplicates === true),
    };
    const budget = new RetryBudget(settings.retries);
    // A partial with its journal means a server answered this download before: a refusal now is a
    // restart, not a typo'd port.
    session.hasReachedServer = (await readJournal(paths.journal))?.url === session.url;
    let isRestartRequested = settings.restart;
    let attempts = 0;
    for (;;) {
      attempts += 1;
      const before = session.ranges.size;
      const restartsBefore = session.restarts;
      try {
        // A lock lost to another host (this process paused past its lease) stops the download.
        await lock.assertHeld();
        const outcome = await runAttempt(session, attempt, signal, isRestartRequested);
        isRestartRequested = false;
        if (outcome === 'complete') break;
        if (outcome === 'progress' && session.ranges.size === before) {
          throw new RegetError(ErrorCode.PARTIAL, 'The server ended the transfer without sending any bytes.');
        }
        budget.succeed();
      } catch (caught) {
        const error = asRegetError(caught, signal);
        const madeProgress = session.ranges.size > before || session.restarts > restartsBefore;
        await waitToRetry(error, {
          budget,
          madeProgress,
          hasReachedServer: session.hasReachedServer,
          attempt: attempts,
          retryDelayMs: settings.retryDelayMs,
          signal,
          beforeWait: () => session!.flush(),
          emit: (event) => session!.emit(event),
          bytesOnDisk: session.ranges.size,
          total: session.total,
        });
      }
    }
    const size = session.total ?? session.ranges.end;
    const isAlreadyComplete = session.writtenBytes === 0 && session.restarts === 0;
    session.progress(true);
    // Cut and stamped through the descriptor before the last flush, so the flush covers both —
    // only while the lock is still this process's.
    await lock.assertHeld();
    const identity = await session.seal(size);
    await session.flush();
    // An abort that arrived while the last bytes were written still wins: nothing is renamed.
    if (signal.aborted) throw asRegetError(signal.reason, signal);
    const digest = hasher ? await hasher.finish(size) : undefined;
    if (signal.aborted) throw asRegetError(signal.reason, signal);
    await session.close();
    // Which sources served which bytes, when several did: a mismatch then names them.
    const served = sources.isMulti ? ` (${sources.describeServed()})` : '';
    if (checksum && digest !== checksum.hex) {
      await rename(paths.partial, paths.corrupt).catch(() => undefined);
      await removeJournal(paths.journal);
      throw new RegetError(
        ErrorCode.CHECKSUM,
        `The ${checksum.algorithm} checksum does not match (expected ${checksum.hex}, got ${digest}); the bytes were kept as ${paths.corrupt}${served}.`,
        { retryable: false },
      );
    }
    // No checksum given, but the server published one (Repr-Digest, Digest): it is checked too.
    const published =
      checksum === undefined && options.verifyPublishedDigest !== false
        ? strongestDigest(session.publishedDigests)
        : undefined;
    let verified = checksum ? `${checksum.algorithm}:${digest}` : undefined;
    if (published) {
      const actual = await hashFile(paths.partial, published.algorithm, signal);
      if (actual !== published.hex) {
        await rename(paths.partial, paths.corrupt).catch(() => undefined);
        await removeJournal(paths.journal);
        throw new RegetError(
          ErrorCode.CHECKSUM,
          `The ${published.algorithm} digest the server published does not match (expected ${published.hex}, got ${actual}); the bytes were kept as ${paths.corrupt}${served}.`,
          { retryable: false },
        );
      }
      verified = `${published.algorithm}:${actual}`;
    }
    await lock.assertHeld();
    await finishFile(paths.partial, paths.destination, identity);
    await removeJournal(paths.journal);
    session.emit({ type: 'complete', size, isAlreadyComplete });
    return {
      destination: paths.destination,
      size,
      fetchedBytes: session.fetchedBytes,
      isAlreadyComplete,
      resumes: session.resumes,
      restarts: session.restarts,
      checksum: verified,
      sources: sources.isMulti ? sources.report() : undefined,
    };
  } catch (error) {
    await keepResumable(session);
    if (continued && session?.writtenBytes === 0 && session.restarts === 0) {
      // Nothing came of continuing: the user's file goes back under its own name — that file, and
      // only it (a file swapped in under the partial's name is never moved onto the destination).
      await session.close();
      if (await isSameFile(paths.partial, continued)) {
        await rename(paths.partial, paths.destination).catch(() => undefined);
        await removeJournal(paths.journal).catch(() => undefined);
      }
    }
    throw asRegetError(error, signal);
  } finally {
    await hasher?.close();
    await session?.close();
    await lock.release();
  }
}

/**
 * Moves the sealed partial into place atomically, by path (a descriptor cannot be renamed): the
 * path must still name the file that was written and verified (`identity`), before and after.
 */
async function finishFile(partial: string, destination: string, identity: FileIdentity): Promise<void> {
  if (!(await isSameFile(partial, identity))) {
    throw new RegetError(
      ErrorCode.LOCAL_IO,
      `${partial} was removed or replaced by another file before it could be moved into place; nothing was renamed.`,
    );
  }
  try {
    await rename(partial, destination);
  } catch (error) {
    throw localError(error, 'move the finished file to', destination);
  }
  if (!(await isSameFile(destination, identity))) {
    throw new RegetError(
      ErrorCode.LOCAL_IO,
      `${destination} is not the file reget verified: ${partial} was replaced while it was moved into place. Check ${destination} before using it.`,
    );
  }
}

/** Whether `path` names the regular file `identity` (not following a symlink). */
async function isSameFile(path: string, identity: FileIdentity): Promise<boolean> {
  const stats = await lstat(path).catch(() => undefined);
  return stats?.isFile() === true && stats.dev === identity.dev && stats.ino === identity.ino;
}

/** After a failure: flush what is on disk, or leave nothing behind when nothing was written. */
async function keepResumable(session: DownloadSession | undefined): Promise<void> {
  if (!session?.hasPartial) return;
  try {
    if (
      session.ranges.size === 0 &&
      session.restarts === 0 &&
      (await session.file().then((f) => f.size())) === 0
    ) {
      await session.close();
      await rm(session.paths.partial, { force: true });
      await removeJournal(session.paths.journal);
      return;
    }
    await session.flush();
  } catch {
    // The original error matters more than a failed flush; the journal never over-claims anyway.
  }
}

/**
 * Existing destination without a partial (FAULTS LOC-07). Returns which file was moved to the
 * partial's name by `continue` (to move back if nothing came of it), or undefined.
 */
async function adoptExisting(
  paths: ReturnType<typeof destinationPaths>,
  policy: 'error' | 'overwrite' | 'continue',
): Promise<FileIdentity | undefined> {
  if ((await pathKind(paths.destination)) !== 'file' || policy === 'overwrite') return undefined;
  if (policy === 'continue') {
    // With a partial already there, that partial is the download; the destination is replaced at the end.
    if ((await pathKind(paths.partial)) === 'file') return undefined;
    try {
      await rename(paths.destination, paths.partial);
      const { dev, ino } = await lstat(paths.partial);
      return { dev, ino };
    } catch (error) {
      throw localError(error, 'continue from', paths.destination);
    }
  }
  throw new RegetError(
    ErrorCode.EXISTS,
    `${paths.destination} already exists; use overwrite to replace it or continue to resume it.`,
  );
}
