import { open, stat } from 'node:fs/promises';
import type { Adapter, Remote, RemoteStat } from './contract.js';
import { ErrorCode, isRegetError, localError } from './errors.js';
import { overlapStart } from './overlap.js';
import { abortable, Watchdog } from './timeout.js';

/** What a finished file on disk is, compared with the remote now. */
export interface FinishedCheck {
  /** True when the file on disk is the remote's current version. */
  readonly isCurrent: boolean;
  /** Why, in words for the decision event. */
  readonly reason: string;
  /** The remote's size (the file's size when current). */
  readonly size: number | undefined;
  /** Bytes read from the remote to decide (at most 16 tail windows; see overlap.ts). */
  readonly fetchedBytes: number;
  readonly stat: RemoteStat;
}

/** How {@link checkFinished} runs. */
export interface FinishedCheckOptions {
  readonly connectTimeoutMs: number;
  /** No answer for this long (after connecting) aborts the check as TIMEOUT, as it does an attempt. */
  readonly idleTimeoutMs: number;
  readonly signal: AbortSignal;
  /** Bytes at the end of the file compared when the server gives no modification time. */
  readonly windowBytes: number;
  /** Called once the server has answered the probe. */
  readonly onStat?: (() => void) | undefined;
}

/**
 * Whether the file at `path` (a finished download, run again) is the remote's current version.
 * With a modification time from the server, size and time prove it without reading (reget gives
 * the finished file the server's time, as wget does); without one, the size and the last
 * `windowBytes` (moved back over padding, at most 16 windows), compared with the remote's, must
 * agree. A server that will not serve the tail from its offset proves nothing: not current.
 */
export async function checkFinished(
  path: string,
  adapter: Adapter,
  url: URL,
  options: FinishedCheckOptions,
): Promise<FinishedCheck> {
  // Ended when the check is done, so a body the check did not read to its end is released too.
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal.reason);
  options.signal.addEventListener('abort', onAbort, { once: true });
  if (options.signal.aborted) onAbort();
  const signal = controller.signal;
  const watchdog = new Watchdog(options.connectTimeoutMs + options.idleTimeoutMs, controller, url.host);
  let remote: Remote | undefined;
  try {
    remote = await abortable(
      adapter.open(url, { signal, connectTimeoutMs: options.connectTimeoutMs }),
      signal,
    );
    watchdog.touch(options.idleTimeoutMs);
    const remoteStat = await abortable(remote.stat(signal), signal);
    options.onStat?.();
    watchdog.touch();
    const local = await stat(path).catch((error: unknown) => {
      throw localError(error, 'read', path);
    });
    const verdict = await compare(path, local, remoteStat, remote, options.windowBytes, signal, watchdog);
    return { ...verdict, stat: remoteStat };
  } catch (error) {
    // The watchdog's TIMEOUT, not the abort it caused, is what happened.
    throw signal.aborted && !options.signal.aborted ? signal.reason : error;
  } finally {
    watchdog.stop();
    options.signal.removeEventListener('abort', onAbort);
    controller.abort();
    await remote?.close().catch(() => undefined);
  }
}

type Verdict = Omit<FinishedCheck, 'stat'>;

async function compare(
  path: string,
  local: { size: number; mtimeMs: number },
  remoteStat: RemoteStat,
  remote: Remote,
  windowBytes: number,
  signal: AbortSignal,
  watchdog: Watchdog,
): Promise<Verdict> {
  const size = remoteStat.size;
  const not = (reason: string, fetchedBytes = 0): Verdict => ({
    isCurrent: false,
    reason,
    size,
    fetchedBytes,
  });
  if (size === undefined) return not('the server does not say how large the file is');
  if (size !== local.size) return not(`it has ${local.size} bytes, the remote ${size}`);
  const remoteMs = remoteStat.modifiedAt?.getTime();
  // A time at or before the epoch is a server that does not know it (or a reproducible build's
  // constant): it proves nothing, and the tail is compared instead.
  if (remoteMs !== undefined && Number.isFinite(remoteMs) && remoteMs > 0) {
    return isSameTime(local.mtimeMs, remoteMs)
      ? { isCurrent: true, reason: 'same size and modification time as the remote', size, fetchedBytes: 0 }
      : not('its modification time differs from the remote');
  }
  if (size === 0) return { isCurrent: true, reason: 'both are empty', size, fetchedBytes: 0 };
  // The last window, moved back while it is too uniform to tell versions apart (zeros, padding).
  const start = await watchdog.hold(
    overlapStart((at, length) => readTail(path, at, length), size, 0, windowBytes),
  );
  const wanted = await readTail(path, start, size - start);
  try {
    // To the end of the file, with no end named: the body's own end (and its count, FTP's) says
    // the server sent exactly these bytes.
    const response = await abortable(remote.read({ start, signal }), signal);
    if (response.start !== start || response.isUnsatisfiable || (response.total ?? size) !== size) {
      return not('the server would not send the tail to compare');
    }
    let received = 0;
    let isSame = true;
    for await (const chunk of response.body) {
      watchdog.touch();
      const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (
        received + bytes.length > wanted.length ||
        !bytes.equals(wanted.subarray(received, received + bytes.length))
      ) {
        isSame = false;
      }
      received += bytes.length;
      if (!isSame) return not('its last bytes differ from the remote', received);
    }
    return received === wanted.length
      ? {
          isCurrent: true,
          reason: `same size, and the last ${received} bytes match the remote`,
          size,
          fetchedBytes: received,
        }
      : not('its last bytes differ from the remote', received);
  } catch (error) {
    // A server that will not (or cannot be trusted to) start there proves nothing either way.
    if (isRegetError(error, ErrorCode.RANGE_NOT_SUPPORTED, ErrorCode.PROTOCOL)) {
      return not('the server would not send the tail to compare');
    }
    throw error;
  }
}

/** Whether a file's time is the server's: to the millisecond when the server gives fractions. */
function isSameTime(localMs: number, remoteMs: number): boolean {
  if (remoteMs % 1000 === 0) return Math.floor(localMs / 1000) === remoteMs / 1000;
  // utimes stores .300 as .2999…: a millisecond of slack, no more.
  return Math.abs(localMs - remoteMs) < 1;
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
