import {
  abortable,
  ErrorCode,
  type ReadRequest,
  type ReadResponse,
  RegetError,
  type Remote,
  type RemoteStat,
  type Validator,
} from '@reget/core';
import { type BodySettlement, TransferBody } from './body.js';
import { classifyFtpError, classifyReply } from './classify.js';
import { abortedError, type ConnectSettings, connectFtp, type FtpConnection } from './connection.js';
import { checkedAgainstHead, collect, headCheckBytes } from './head-check.js';
import type { FtpLocation } from './location.js';
import type { FtpPool } from './pool.js';
import { mdtmTime, mdtmValidator, parseMdtmReply, parseSizeReply } from './replies.js';
import { startRetrieve } from './retrieve.js';

/** What SIZE and MDTM said about the file just now. */
interface FileFacts {
  readonly size: number | undefined;
  readonly validator: Validator | undefined;
  readonly modifiedAt: Date | undefined;
}

/** Where a remote gets its logged-in control connections: the adapter's pool, or its own. */
export interface ConnectionSource {
  readonly pool: FtpPool;
  /** Which of the pool's connections may serve this remote (host, port, TLS, user, password). */
  readonly key: string;
  /** True when the pool is the remote's own, to be closed with it. */
  readonly isOwn: boolean;
}

/** A connection lent to one operation of the remote. */
interface Lent {
  readonly connection: FtpConnection;
  /** Taken from the pool (it may have died idle) rather than logged in for this operation. */
  readonly isReused: boolean;
}

/**
 * One FTP file for one attempt. Takes logged-in control connections from the adapter's pool (the
 * first in {@link FtpRemote.open}); a read that finds none idle logs in another, so reads can run
 * side by side (segments). A connection goes back to the pool only after a clean 226 (or a probe
 * that got its answers), for this remote's next read or the next remote on the same server.
 */
export class FtpRemote implements Remote {
  readonly #location: FtpLocation;
  readonly #settings: ConnectSettings;
  readonly #connectTimeoutMs: number;
  readonly #source: ConnectionSource;
  /** Connections this remote took from the pool or logged in, and has not given back yet. */
  readonly #open = new Set<FtpConnection>();
  /** Those of them between operations: this remote's next operation takes one before the pool's. */
  readonly #idle: FtpConnection[] = [];
  /** Ends what this remote started for all its reads (the head read) when it closes. */
  readonly #lifetime = new AbortController();
  #head: Promise<Uint8Array> | undefined;
  #isClosed = false;

  private constructor(
    location: FtpLocation,
    settings: ConnectSettings,
    connectTimeoutMs: number,
    source: ConnectionSource,
  ) {
    this.#location = location;
    this.#settings = settings;
    this.#connectTimeoutMs = connectTimeoutMs;
    this.#source = source;
  }

  /** Connects and logs in once, so that a wrong password or certificate fails here. */
  static async open(
    location: FtpLocation,
    settings: ConnectSettings,
    signal: AbortSignal,
    connectTimeoutMs: number,
    source: ConnectionSource,
  ): Promise<FtpRemote> {
    const remote = new FtpRemote(location, settings, connectTimeoutMs, source);
    try {
      remote.#release((await remote.#acquire(signal)).connection, 'reusable');
    } catch (error) {
      await remote.close();
      throw error;
    }
    return remote;
  }

  /** SIZE and MDTM (RFC 3659 §3–4) in binary mode; range support from FEAT `REST STREAM` (§5). */
  async stat(signal: AbortSignal): Promise<RemoteStat> {
    const { connection, facts } = await this.#probed(signal);
    this.#release(connection, 'reusable');
    return {
      size: facts.size,
      validator: facts.validator,
      modifiedAt: facts.modifiedAt,
      acceptsRanges: connection.features.get('REST') === 'STREAM' ? true : undefined,
      url: this.#location.displayUrl,
    };
  }

  /**
   * SIZE and MDTM again (a read reports what the server says now), then REST + RETR. A start at or
   * past SIZE sends neither (FAULTS FTP-01, FTP-02); a refused REST throws RANGE_NOT_SUPPORTED
   * before any RETR (FTP-04); the body checks the byte count against SIZE (FTP-05, FTP-06). A read
   * with an `end` (a segment: core may also stop it sooner, when another connection takes over the
   * rest) may never reach that count, so its first bytes are compared with the file's first bytes
   * instead: equal means REST was ignored, or cannot be told from it (FTP-05).
   */
  async read(request: ReadRequest): Promise<ReadResponse> {
    const { start, end, signal } = request;
    if (
      !Number.isSafeInteger(start) ||
      start < 0 ||
      (end !== undefined && (!Number.isSafeInteger(end) || end <= start))
    ) {
      throw new RegetError(
        ErrorCode.BAD_INPUT,
        `Cannot read the byte range ${start}-${end ?? ''} of a file.`,
      );
    }
    // Before this read takes a connection of its own, so that the head read can use an idle one.
    const head = start > 0 && end !== undefined ? await this.#fileHead(signal) : undefined;
    const { connection, facts } = await this.#probed(signal);
    const { size, validator } = facts;
    if (start > 0 && size !== undefined && start >= size) {
      this.#release(connection, 'reusable');
      return { start, end: size, total: size, validator, isUnsatisfiable: true, body: emptyBody() };
    }
    const stop = size === undefined ? end : Math.min(end ?? size, size);
    const expected = size === undefined ? undefined : size - start;
    const body = new TransferBody(
      { wanted: stop === undefined ? undefined : stop - start, expected },
      (settlement) => this.#release(connection, settlement),
    );
    await startRetrieve(connection, this.#location, start, body, signal);
    if (head === undefined || stop === undefined) return { start, end: stop, total: size, validator, body };
    const checked = await checkedAgainstHead(body, head, start, stop - start, this.#location.host);
    return { start, end: stop, total: size, validator, body: checked };
  }

  /**
   * The file's first bytes, read once per remote with a RETR that has no REST (so they cannot be
   * wrong the way a ranged answer can). Each caller waits with its own signal; a failed read is
   * forgotten so that the next caller tries again.
   */
  async #fileHead(signal: AbortSignal): Promise<Uint8Array> {
    if (this.#head === undefined) {
      const reading = this.read({ start: 0, end: headCheckBytes, signal: this.#lifetime.signal }).then(
        (response) => collect(response.body, headCheckBytes),
      );
      this.#head = reading;
      reading.catch(() => {
        if (this.#head === reading) this.#head = undefined;
      });
    }
    // The head read goes on for the other readers when this one's signal aborts.
    return abortable(this.#head, signal).catch((error: unknown) => {
      throw signal.aborted ? abortedError(error) : error;
    });
  }

  /**
   * Gives the idle connections to the adapter's pool (or closes them, when the pool is the remote's
   * own) and closes the ones still busy (a transfer still running).
   */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#lifetime.abort(new RegetError(ErrorCode.ABORTED, 'The FTP remote was closed.'));
    const { pool, key, isOwn } = this.#source;
    for (const connection of this.#idle.splice(0)) {
      this.#open.delete(connection);
      if (isOwn) connection.client.close();
      else pool.give(key, connection);
    }
    for (const connection of this.#open) connection.client.close();
    this.#open.clear();
  }

  /**
   * SIZE and MDTM on a lent connection. When a connection that sat idle in the pool turns out to be
   * gone (closed by the server while idle, or a 421), that costs one new login, not the attempt; a
   * reply about the file (550…) is never retried.
   */
  async #probed(signal: AbortSignal): Promise<{ connection: FtpConnection; facts: FileFacts }> {
    let lent = await this.#acquire(signal);
    for (let isRetry = false; ; isRetry = true) {
      const { connection } = lent;
      try {
        return { connection, facts: await this.#guard(signal, connection, () => this.#probe(connection)) };
      } catch (error) {
        // A reply about the file (550…) leaves the connection as good as before; anything that
        // closed it, or an abort, does not.
        this.#release(connection, signal.aborted || connection.client.closed ? 'close' : 'reusable');
        if (isRetry || signal.aborted || !lent.isReused || !connection.client.closed) throw error;
        lent = await this.#acquire(signal, true);
      }
    }
  }

  async #probe(connection: FtpConnection): Promise<FileFacts> {
    const { client } = connection;
    const path = await client.protectWhitespace(this.#location.path);
    const sizeReply = await client.sendIgnoringError(`SIZE ${path}`);
    const mdtmReply = await client.sendIgnoringError(`MDTM ${path}`);
    // 550 to SIZE means no such file (or no access); 500/502 means SIZE is not implemented (FTP-03).
    // Without SIZE, a 550 to MDTM says the same.
    const refusal = [sizeReply, mdtmReply].find((reply) => reply.code === 550 || reply.code === 530);
    if (refusal !== undefined && (sizeReply.code >= 500 || refusal === sizeReply)) {
      const { host, displayUrl } = this.#location;
      throw classifyReply(refusal.code, refusal.message, 'command', host, undefined, displayUrl);
    }
    const temporary = [sizeReply, mdtmReply].find((reply) => reply.code >= 400 && reply.code < 500);
    if (temporary !== undefined) {
      // 421: the server is closing the control connection (RFC 959 §4.2), e.g. its idle timeout.
      if (temporary.code === 421) client.close();
      throw classifyReply(temporary.code, temporary.message, 'command', this.#location.host);
    }
    const mdtm = mdtmReply.code === 213 ? parseMdtmReply(mdtmReply.message) : undefined;
    return {
      size: sizeReply.code === 213 ? parseSizeReply(sizeReply.message) : undefined,
      validator: mdtmValidator(mdtm),
      modifiedAt: mdtmTime(mdtm),
    };
  }

  /** Runs `operation` on `connection`, closing the connection when `signal` fires. */
  async #guard<T>(signal: AbortSignal, connection: FtpConnection, operation: () => Promise<T>): Promise<T> {
    if (signal.aborted) throw abortedError(signal.reason);
    const onAbort = () => connection.client.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await operation();
    } catch (error) {
      if (signal.aborted) throw abortedError(error);
      throw classifyFtpError(error, 'command', this.#location.host);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async #acquire(signal: AbortSignal, fresh = false): Promise<Lent> {
    if (this.#isClosed) throw new RegetError(ErrorCode.ABORTED, 'The FTP remote is already closed.');
    if (!fresh) {
      let own = this.#idle.pop();
      while (own?.client.closed) {
        this.#open.delete(own);
        own = this.#idle.pop();
      }
      if (own !== undefined) return { connection: own, isReused: true };
      const pooled = this.#source.pool.take(this.#source.key);
      if (pooled !== undefined) {
        this.#open.add(pooled);
        return { connection: pooled, isReused: true };
      }
    }
    const opened = await connectFtp(this.#location, this.#settings, signal, this.#connectTimeoutMs);
    if (this.#isClosed) {
      opened.client.close();
      throw new RegetError(ErrorCode.ABORTED, 'The FTP remote is already closed.');
    }
    this.#open.add(opened);
    return { connection: opened, isReused: false };
  }

  #release(connection: FtpConnection, settlement: BodySettlement): void {
    if (!this.#open.has(connection)) return;
    if (settlement === 'reusable' && !this.#isClosed && !connection.client.closed) {
      this.#idle.push(connection);
      return;
    }
    this.#open.delete(connection);
    connection.client.close();
  }
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}
