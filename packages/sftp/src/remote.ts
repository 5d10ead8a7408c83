import {
  ErrorCode,
  type ReadRequest,
  type ReadResponse,
  RegetError,
  type Remote,
  type RemoteStat,
  type Validator,
} from '@reget/core';
import type { SFTPWrapper } from 'ssh2';
import { abortError, untilAborted } from './abort.js';
import { classifySftpError, type FailurePhase } from './classify.js';
import type { SshConnection } from './connection.js';
import type { ReadTuning } from './options.js';
import { pipelinedRead } from './pipelined-read.js';
import { type FileAttributes, SftpSession } from './session.js';
import type { SftpLocation } from './url.js';

/** Size, validator and modification time of one version of the file. */
interface Description {
  readonly size: number | undefined;
  readonly validator: Validator | undefined;
  readonly modifiedAt: Date | undefined;
}

/**
 * One file on an SFTP server, over one SSH connection. Each read gets an SFTP channel of its own
 * (reused once a read finishes cleanly), so segments can read concurrently without logging in again.
 * The first channel is the one ssh2-sftp-client opened when it connected; the others are reget's.
 */
export class SftpRemote implements Remote {
  readonly #connection: SshConnection;
  readonly #location: SftpLocation;
  readonly #tuning: ReadTuning;
  readonly #idle: SftpSession[] = [];
  readonly #sessions = new Set<SftpSession>();

  constructor(
    connection: SshConnection,
    location: SftpLocation,
    tuning: ReadTuning,
    firstSession: SftpSession,
  ) {
    this.#connection = connection;
    this.#location = location;
    this.#tuning = tuning;
    this.#sessions.add(firstSession);
    this.#idle.push(firstSession);
  }

  /** SSH_FXP_STAT of the path: size and mtime (draft-ietf-secsh-filexfer-02 §6.8). */
  async stat(signal: AbortSignal): Promise<RemoteStat> {
    const session = await this.#acquire(signal);
    let described: Description;
    try {
      described = this.#describe(
        await untilAborted(session.stat(this.#location.path), signal, () => session.end()),
      );
    } catch (error) {
      // A refusal (no such file…) leaves the channel usable; an abort has closed it.
      this.#release(session, !signal.aborted);
      throw this.#classify(error, 'before-body');
    }
    this.#release(session, true);
    const { size, validator, modifiedAt } = described;
    return { size, validator, modifiedAt, acceptsRanges: true, url: this.#location.displayUrl };
  }

  /**
   * Opens the file, stats the open handle (so size and validator describe what is read) and
   * streams `[start, end)` with READs at offsets. A start at or past the end is unsatisfiable.
   */
  async read(request: ReadRequest): Promise<ReadResponse> {
    const { signal } = request;
    const session = await this.#acquire(signal);
    const path = this.#location.path;
    let handle: Buffer | undefined;
    let described: Description;
    try {
      handle = await untilAborted(session.open(path), signal, () => session.end());
      described = this.#describe(await untilAborted(session.fstat(handle), signal, () => session.end()));
    } catch (error) {
      if (handle !== undefined) session.closeHandle(handle).catch(() => undefined);
      this.#release(session, !signal.aborted);
      throw this.#classify(error, 'before-body');
    }
    const { size, validator } = described;
    const answer = { start: request.start, total: size, validator };

    if (size !== undefined && request.start >= size) {
      session.closeHandle(handle).catch(() => undefined);
      this.#release(session, true);
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
      classify: (error) => this.#classify(error, 'during-body'),
      finish: (isReusable) => {
        signal.removeEventListener('abort', onAbort);
        this.#release(session, isReusable);
      },
    });
    return { ...answer, end, body };
  }

  /** Closes every channel reget opened, and the connection unless the caller lent it. */
  async close(): Promise<void> {
    for (const session of this.#sessions) session.end();
    this.#sessions.clear();
    this.#idle.length = 0;
    this.#connection.close();
  }

  async #acquire(signal: AbortSignal): Promise<SftpSession> {
    if (signal.aborted) throw abortError(signal);
    for (let session = this.#idle.pop(); session !== undefined; session = this.#idle.pop()) {
      if (!session.isClosed) return session;
      this.#sessions.delete(session);
    }
    let sftp: SFTPWrapper;
    try {
      sftp = await this.#connection.openSftp(signal);
    } catch (error) {
      throw this.#classify(error, 'before-body');
    }
    const session = new SftpSession(sftp);
    this.#sessions.add(session);
    return session;
  }

  #release(session: SftpSession, isReusable: boolean): void {
    if (isReusable && !session.isClosed && this.#sessions.has(session)) {
      this.#idle.push(session);
      return;
    }
    session.end();
    this.#sessions.delete(session);
  }

  #classify(error: unknown, phase: FailurePhase): RegetError {
    return classifySftpError(error, this.#location.displayUrl, phase, this.#connection.failure);
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

async function* emptyBody(): AsyncGenerator<Uint8Array> {}
