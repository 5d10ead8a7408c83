import {
  ErrorCode,
  isRegetError,
  type ReadRequest,
  type ReadResponse,
  RegetError,
  type Remote,
  type RemoteStat,
  type Validator,
} from '@reget/core';
import { abortError, untilAborted } from './abort.js';
import { classifySftpError, type FailurePhase } from './classify.js';
import type { ReadTuning } from './options.js';
import { pipelinedRead } from './pipelined-read.js';
import type { Lease, LeaseOutcome } from './pool.js';
import type { FileAttributes, SftpSession } from './session.js';
import type { SftpLocation } from './url.js';

/** Size, validator and modification time of one version of the file. */
interface Description {
  readonly size: number | undefined;
  readonly validator: Validator | undefined;
  readonly modifiedAt: Date | undefined;
}

/** Where a remote gets its SFTP channels: the adapter's pool, or a pool of the remote's own. */
export interface ChannelSource {
  /** A channel; `fresh` asks for one on a connection made for it. */
  acquire(signal: AbortSignal, fresh?: boolean): Promise<Lease>;
  release(lease: Lease, outcome: LeaseOutcome): void;
  /** Called once, when the remote closes. */
  done(): void;
}

/**
 * One file on an SFTP server. Each read gets an SFTP channel of its own from the adapter's pool
 * (given back once a read finishes cleanly), so segments can read concurrently, and the next file
 * on the same server, without logging in again.
 */
export class SftpRemote implements Remote {
  readonly #location: SftpLocation;
  readonly #tuning: ReadTuning;
  readonly #channels: ChannelSource;
  /** Leases handed out to this remote and not given back yet. */
  readonly #leases = new Set<Lease>();
  #isClosed = false;

  private constructor(location: SftpLocation, tuning: ReadTuning, channels: ChannelSource) {
    this.#location = location;
    this.#tuning = tuning;
    this.#channels = channels;
  }

  /** Takes a channel once, so that a wrong password or host key fails here, and gives it back. */
  static async open(
    location: SftpLocation,
    tuning: ReadTuning,
    channels: ChannelSource,
    signal: AbortSignal,
  ): Promise<SftpRemote> {
    const remote = new SftpRemote(location, tuning, channels);
    remote.#release(await remote.#acquire(signal), 'reusable');
    return remote;
  }

  /** SSH_FXP_STAT of the path: size and mtime (draft-ietf-secsh-filexfer-02 §6.8). */
  async stat(signal: AbortSignal): Promise<RemoteStat> {
    const { lease, value: attributes } = await this.#begin(signal, (session) =>
      untilAborted(session.stat(this.#location.path), signal, () => session.end()),
    );
    this.#release(lease, 'reusable');
    const { size, validator, modifiedAt } = this.#describe(attributes);
    return { size, validator, modifiedAt, acceptsRanges: true, url: this.#location.displayUrl };
  }

  /**
   * Opens the file, stats the open handle (so size and validator describe what is read) and
   * streams `[start, end)` with READs at offsets. A start at or past the end is unsatisfiable.
   */
  async read(request: ReadRequest): Promise<ReadResponse> {
    const { signal } = request;
    const path = this.#location.path;
    const { lease, value: opened } = await this.#begin(signal, async (session) => {
      const handle = await untilAborted(session.open(path), signal, () => session.end());
      try {
        return { handle, attributes: await untilAborted(session.fstat(handle), signal, () => session.end()) };
      } catch (error) {
        session.closeHandle(handle).catch(() => undefined);
        throw error;
      }
    });
    const { session } = lease;
    const { handle } = opened;
    let described: Description;
    try {
      described = this.#describe(opened.attributes);
    } catch (error) {
      session.closeHandle(handle).catch(() => undefined);
      this.#release(lease, 'reusable');
      throw error;
    }
    const { size, validator } = described;
    const answer = { start: request.start, total: size, validator };

    if (size !== undefined && request.start >= size) {
      session.closeHandle(handle).catch(() => undefined);
      this.#release(lease, 'reusable');
      return { ...answer, end: undefined, isUnsatisfiable: true, body: emptyBody() };
    }

    // Growth after stat is not followed: the transfer stops at the stat size (FAULTS SFTP-07).
    const end = size === undefined ? request.end : Math.min(request.end ?? size, size);
    const requestBytes = Math.min(this.#tuning.requestBytes, session.maxRequestBytes);
    // Releases the channel when the caller aborts while not iterating the body.
    const onAbort = () => session.end();
    signal.addEventListener('abort', onAbort, { once: true });
    const body = pipelinedRead({
      session,
      handle,
      start: request.start,
      end,
      size,
      requestBytes,
      requestsInFlight: Math.max(1, Math.ceil(this.#tuning.readAheadBytes / requestBytes)),
      signal,
      displayUrl: this.#location.displayUrl,
      classify: (error) => this.#classify(error, 'during-body', lease),
      finish: (isReusable) => {
        signal.removeEventListener('abort', onAbort);
        this.#release(lease, isReusable ? 'reusable' : outcomeOfAbort(signal));
      },
    });
    return { ...answer, end, body };
  }

  /**
   * Gives every channel back: those still reading are ended. The connection stays in the
   * adapter's pool for the next remote (or closes, when the remote has its own).
   */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    for (const lease of [...this.#leases]) this.#release(lease, 'end-channel');
    this.#channels.done();
  }

  /**
   * Runs the first requests of a stat or read on a channel. When a channel of a connection that
   * was idle in the pool fails because the connection is gone (the server closed it while idle),
   * that costs one retry on a new connection, not the attempt; an answer from the server (no such
   * file, permission denied…) is never retried.
   */
  async #begin<T>(
    signal: AbortSignal,
    step: (session: SftpSession) => Promise<T>,
  ): Promise<{ lease: Lease; value: T }> {
    let lease = await this.#acquire(signal);
    for (let isRetry = false; ; isRetry = true) {
      try {
        return { lease, value: await step(lease.session) };
      } catch (error) {
        // The channel closed without reget ending it, or the whole connection is gone.
        const isConnectionLost = lease.connection.failure !== undefined || lease.session.isClosed;
        if (isRetry || signal.aborted || !lease.isReused || !isConnectionLost) {
          // A refusal (no such file…) leaves the channel usable; an abort has closed it.
          this.#release(lease, signal.aborted ? outcomeOfAbort(signal) : 'reusable');
          throw this.#classify(error, 'before-body', lease);
        }
        this.#release(lease, 'end-channel');
        lease = await this.#acquire(signal, true);
      }
    }
  }

  async #acquire(signal: AbortSignal, fresh = false): Promise<Lease> {
    if (signal.aborted) throw abortError(signal);
    if (this.#isClosed) throw new RegetError(ErrorCode.ABORTED, 'The SFTP remote is already closed.');
    let lease: Lease;
    try {
      lease = await this.#channels.acquire(signal, fresh);
    } catch (error) {
      throw classifySftpError(error, this.#location.displayUrl, 'before-body', undefined);
    }
    if (this.#isClosed) {
      this.#channels.release(lease, 'end-channel');
      throw new RegetError(ErrorCode.ABORTED, 'The SFTP remote is already closed.');
    }
    this.#leases.add(lease);
    return lease;
  }

  #release(lease: Lease, outcome: LeaseOutcome): void {
    if (!this.#leases.delete(lease)) return;
    this.#channels.release(lease, outcome);
  }

  #classify(error: unknown, phase: FailurePhase, lease: Lease): RegetError {
    return classifySftpError(error, this.#location.displayUrl, phase, lease.connection.failure);
  }

  #describe(attributes: FileAttributes): Description {
    const displayUrl = this.#location.displayUrl;
    if (attributes.isDirectory) {
      // The server's answer, not the URL's form, says so: a remote refusal like HTTP 404 or FTP 550.
      throw new RegetError(
        ErrorCode.PROTOCOL,
        `${displayUrl} is a directory on the SFTP server, not a file; give the path of a file in it.`,
        { retryable: false },
      );
    }
    const { size, mtime } = attributes;
    if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) {
      // SEC-08: a size past 2^53 cannot be an exact offset.
      throw new RegetError(
        ErrorCode.PROTOCOL,
        `The SFTP server reported an unusable size for ${displayUrl}.`,
        {
          retryable: false,
        },
      );
    }
    const validator =
      size !== undefined && mtime !== undefined
        ? { value: `sftp:${size}:${mtime}`, isStrong: false }
        : undefined;
    // SFTP v3 ATTRS carry mtime in whole seconds since the epoch (draft-ietf-secsh-filexfer-02 §5).
    const modifiedAt =
      mtime !== undefined && Number.isSafeInteger(mtime) ? new Date(mtime * 1000) : undefined;
    return { size, validator, modifiedAt };
  }
}

/**
 * What an ended read says about its connection: a timeout (core's watchdog saw no progress) may be
 * a stalled connection, which is handed out no more; any other end only closes the channel.
 */
function outcomeOfAbort(signal: AbortSignal): LeaseOutcome {
  const reason: unknown = signal.reason;
  return isRegetError(reason) && reason.code === ErrorCode.TIMEOUT ? 'retire-connection' : 'end-channel';
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}
