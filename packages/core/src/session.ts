import type { StreamingHasher } from './checksum.js';
import type { PublishedDigest, Validator } from './contract.js';
import type { DestinationPaths } from './destination.js';
import { ErrorCode, RegetError } from './errors.js';
import type { DownloadEvent, RestartReason } from './events.js';
import { FlushAhead } from './flush-ahead.js';
import { currentBoot, type Journal, removeJournal, writeJournal } from './journal.js';
import { type FileIdentity, PartialFile } from './partial.js';
import type { PieceVerifier } from './pieces.js';
import { ProgressMeter } from './progress.js';
import { type ByteRange, ByteRanges } from './ranges.js';
import type { SourceReport } from './sources.js';

/**
 * How often the journal is rewritten while bytes flow (after a flush of the data it claims). A fast
 * download also flushes every 16 MiB in between ({@link FlushAhead}).
 */
const journalIntervalMs = 1_000;

/**
 * With several connections, bytes past the journal cannot be taken from the file's length after a
 * kill (they may sit past holes), so what a kill costs is what was written since the last journal.
 * The journal is therefore also rewritten (after a flush) every this many bytes per connection: a
 * kill then costs about this much per connection (plus what arrives during one flush), as a single
 * connection's adopted tail does. These checkpoints take the place of the flush-ahead.
 */
const segmentCheckpointBytes = 512 * 1024;

/**
 * The state of one download across its attempts: which bytes are on disk, which version of the
 * remote they belong to, and the journal and progress that describe them. Every byte goes to disk
 * through {@link DownloadSession.writeAt}, which keeps ranges, checksum, journal and progress in step.
 */
export class DownloadSession {
  readonly paths: DestinationPaths;
  readonly url: string;
  readonly ranges = new ByteRanges();
  total: number | undefined;
  validator: Validator | undefined;
  /**
   * Bytes on disk that no trusted journal vouches for (a tail past the journal, a partial without
   * one). The journal leaves them out until the overlap check passes: a failure in between must
   * not turn them into claimed bytes that a strong validator would then skip verifying.
   */
  unverified: ByteRange | undefined;
  /** Bytes were written apart from the ranges on disk (segments): see {@link Journal.isSegmented}. */
  isSegmented = false;
  /** An answer of the current attempt passed its checks: its version is the one being written. */
  hasAcceptedAnswer = false;
  /** Why this download uses one connection from now on (a range ignored or refused), if it must. */
  singleConnectionReason: string | undefined;
  /** Bytes written by the current attempt, voided together if the attempt's answers prove unusable. */
  readonly attemptWritten = new ByteRanges();
  /** Bytes received from the network in this call. */
  fetchedBytes = 0;
  /** Bytes written to the partial in this call. */
  writtenBytes = 0;
  resumes = 0;
  restarts = 0;
  connections = 0;
  /** A server answered a probe in this call: a refused connection from now on is a restart, not a typo. */
  hasReachedServer = false;
  /** The remote's modification time as last probed; the finished file gets it. */
  modifiedAt: Date | undefined;
  /** Digests of the whole file the server published with the last probe (Repr-Digest, Digest). */
  publishedDigests: readonly PublishedDigest[] | undefined;
  /** Piece hashes to verify as pieces become whole (Metalink `<pieces>`). */
  pieces: PieceVerifier | undefined;
  /** Told when a piece fails its hash, by the attempt under way (drops its sources, fetches it again). */
  pieceFailureHandler: ((range: ByteRange) => Promise<void>) | undefined;
  /** With mirrors: what each source delivered, for progress events. */
  sourceReport: (() => SourceReport[]) | undefined;

  readonly #emit: (event: DownloadEvent) => void;
  readonly #hasher: StreamingHasher | undefined;
  readonly #progressIntervalMs: number;
  readonly #diskStallMs: number;
  readonly #isDurable: boolean;
  readonly #meter = new ProgressMeter();
  #file: PartialFile | undefined;
  /** Every flush of `#file` goes through it (see {@link FlushAhead}). */
  #flusher: FlushAhead | undefined;
  #opening: Promise<PartialFile> | undefined;
  #isJournalWritten = false;
  /** The last journal this session wrote is marked segmented. */
  #isJournalSegmented = false;
  /** The forced checkpoint that writers wait for before their first byte or first island. */
  #journalling: Promise<void> | undefined;
  /** What the last journal this session wrote claims (its bytes were flushed before it). */
  #lastClaimed: ByteRanges | undefined;
  #lastJournalAt = 0;
  /** Bytes written since the snapshot of the last checkpoint. */
  #bytesSinceCheckpoint = 0;
  #hasUnsyncedBytes = false;
  #persisting: Promise<void> = Promise.resolve();
  #isPersistQueued = false;
  #lastProgressAt = 0;
  #trailingProgress: NodeJS.Timeout | undefined;

  constructor(options: {
    paths: DestinationPaths;
    url: string;
    emit: (event: DownloadEvent) => void;
    hasher: StreamingHasher | undefined;
    progressIntervalMs: number;
    /** Report a read, write or flush of the partial that takes longer than this (default 60 s). */
    diskStallMs?: number | undefined;
    /** Flush to the device before the journal claims bytes (default true). */
    durable?: boolean | undefined;
  }) {
    this.paths = options.paths;
    this.url = options.url;
    this.#emit = options.emit;
    this.#hasher = options.hasher;
    this.#progressIntervalMs = options.progressIntervalMs;
    this.#diskStallMs = options.diskStallMs ?? 60_000;
    this.#isDurable = options.durable ?? true;
  }

  emit(event: DownloadEvent): void {
    this.#emit(event);
  }

  /** The partial, opened (and created) on first use so a failure before any byte leaves nothing behind. */
  async file(): Promise<PartialFile> {
    if (!this.#file) {
      // Connections that start together share one open: a second descriptor would leak.
      this.#opening ??= PartialFile.open(this.paths.partial, true).finally(() => {
        this.#opening = undefined;
      });
      const file = await this.#opening;
      if (!this.#file) {
        this.#file = file;
        // Not durable (a scratch download): the page cache is trusted, which a kill -9 keeps.
        this.#flusher = new FlushAhead(() => (this.#isDurable ? file.sync() : Promise.resolve()));
      }
    }
    return this.#file;
  }

  /** Reads bytes already on disk (verification overlap, checksum catch-up). */
  async readAt(position: number, length: number): Promise<Uint8Array> {
    const file = await this.file();
    return this.#onDisk('read', file.readAt(position, length));
  }

  /** Takes what the first answer says about the remote, when nothing is on disk yet. */
  adopt(total: number | undefined, validator: Validator | undefined): void {
    this.total = total;
    this.validator = validator;
    this.unverified = undefined;
    this.isSegmented = false;
    this.#isJournalWritten = false;
    this.#isJournalSegmented = false;
  }

  /** Writes the bytes at `position`, then records them; the journal is written before the first byte. */
  async writeAt(position: number, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
    const chunks = data instanceof Uint8Array ? [data] : data;
    const length = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const file = await this.file();
    // A flush failed (perhaps beside the transfer): stop here rather than fetch the rest in vain.
    this.#flusher?.throwIfFailed();
    // The journal learns that bytes may lie apart from its ranges before the first such byte lands.
    const isIsland = !this.isSegmented && position > 0 && this.ranges.rangeStartAt(position) === undefined;
    if (isIsland) this.isSegmented = true;
    // Every writer waits, not only the one that found the island: a kill between another
    // connection's island and the journal saying so would leave holes in a tail that the next run
    // takes from the file's length. One forced checkpoint serves all who wait.
    while (!this.#isJournalWritten || (this.isSegmented && !this.#isJournalSegmented)) {
      this.#journalling ??= this.checkpoint(true).finally(() => {
        this.#journalling = undefined;
      });
      await this.#journalling;
    }
    if (this.#hasher) {
      let at = position;
      for (const chunk of chunks) {
        await this.#hasher.update(at, chunk, (start, end) => this.ranges.covers(start, end));
        at += chunk.length;
      }
    }
    await this.#onDisk('write', file.writev(chunks, position));
    this.ranges.add(position, position + length);
    this.attemptWritten.add(position, position + length);
    this.pieces?.written(position, position + length, this.ranges);
    this.#hasUnsyncedBytes = true;
    this.#bytesSinceCheckpoint += length;
    // Segmented, the checkpoints below already flush every few MiB; a 16 MiB flush-ahead beside them
    // would only make them wait, and what a kill costs grows with that wait.
    if (!this.isSegmented) this.#flusher?.wrote(length);
    this.writtenBytes += length;
    await this.checkpoint(false);
    this.progress(false);
  }

  /** The bytes before `offset` matched the remote: unverified bytes ending there may be journalled. */
  verifiedUpTo(offset: number): void {
    if (this.unverified && offset >= this.unverified[1]) this.unverified = undefined;
  }

  /** Counts bytes that arrived from the network, written or only compared. */
  received(bytes: number): void {
    this.fetchedBytes += bytes;
    this.#meter.sample(this.fetchedBytes, performance.now());
  }

  /** Forgets bytes written for a response that turned out unusable (never left claimed). */
  async rollback(start: number, end: number): Promise<void> {
    this.ranges.remove(start, end);
    this.pieces?.forget(start, end);
    this.attemptWritten.remove(start, end);
    this.#forgetVoidedBytes();
    await this.checkpoint(true);
  }

  /** A new attempt starts: nothing of it is written or accepted yet. */
  beginAttempt(): void {
    this.hasAcceptedAnswer = false;
    this.attemptWritten.clear();
  }

  /**
   * Voids every byte this attempt wrote (an unusable answer on one connection, or a change found
   * after other connections wrote pieces that skipped verification): none of them stays claimed.
   */
  async voidAttempt(): Promise<void> {
    if (this.attemptWritten.size === 0) return;
    for (const [start, end] of this.attemptWritten.toArray()) {
      this.ranges.remove(start, end);
      this.pieces?.forget(start, end);
    }
    this.attemptWritten.clear();
    this.#forgetVoidedBytes();
    await this.checkpoint(true);
  }

  #forgetVoidedBytes(): void {
    this.#hasher?.reset();
    // The voided bytes are still in the file: past the journal's ranges, its length must no longer be
    // taken for data (the rule a kill -9 tail relies on), or the next run would adopt them.
    this.isSegmented = true;
  }

  /** Discards everything on disk and starts from zero, reporting why. */
  async discard(reason: RestartReason): Promise<void> {
    await this.settle();
    // The ranges may not be loaded yet (a restart decided from the journal): the file says what goes.
    const discardedBytes = Math.max(this.ranges.size, await (await this.file()).size());
    this.restarts += 1;
    this.ranges.clear();
    this.attemptWritten.clear();
    this.#hasher?.reset();
    this.pieces?.reset();
    // Truncate before the new journal is written: a crash in between leaves an empty file, never
    // old bytes under a new validator. A flush still running finishes first.
    await this.#flusher?.settle();
    const file = await this.file();
    await this.#onDisk('write', file.truncate(0));
    // The next attempt's probe tells which version is current.
    this.adopt(undefined, undefined);
    await removeJournal(this.paths.journal);
    this.#lastClaimed = undefined;
    this.emit({ type: 'restart', reason, discardedBytes });
  }

  /** Rewrites the journal when forced or when enough time has passed. */
  async checkpoint(force: boolean): Promise<void> {
    if (!force) {
      if (this.#isPersistQueued) return;
      const isDue =
        performance.now() - this.#lastJournalAt >= journalIntervalMs ||
        (this.isSegmented &&
          this.#bytesSinceCheckpoint >= segmentCheckpointBytes * Math.max(1, this.connections));
      if (!isDue) return;
      // Flushing much data from the page cache takes a while: do it beside the transfer, not in its way.
      this.#isPersistQueued = true;
      this.#lastJournalAt = performance.now();
      this.#persisting = this.#persisting
        .then(() => this.#persist())
        .catch(() => undefined)
        .finally(() => {
          this.#isPersistQueued = false;
        });
      return;
    }
    this.#lastJournalAt = performance.now();
    // One chain keeps journal writes in the order of their snapshots.
    const persisted = this.#persisting.then(() => this.#persist());
    this.#persisting = persisted.catch(() => undefined);
    await persisted;
  }

  /** Waits for a background checkpoint, so nothing rewrites the journal behind the caller's back. */
  async settle(): Promise<void> {
    await this.#persisting;
  }

  async #persist(): Promise<void> {
    // The snapshot is taken before the flush, so the journal claims only bytes the flush covered.
    let claimed = new ByteRanges(this.ranges.toArray());
    this.#bytesSinceCheckpoint = 0;
    if (this.unverified) claimed.remove(...this.unverified);
    // With piece hashes, only pieces that passed are claimed.
    if (this.pieces) claimed = this.pieces.claimable(claimed);
    const journal: Journal = {
      version: 1,
      url: this.url,
      total: this.total,
      validator: this.validator,
      ranges: claimed.toArray(),
      // Claims that skip unverified pieces: the file's length says nothing about the bytes past them.
      isSegmented: this.isSegmented || this.pieces !== undefined,
      // Not flushed: the claims hold only until the machine restarts (a durable run's first flush
      // covers every byte of the file, earlier runs' included, and drops the mark).
      unflushedBoot: this.#isDurable ? undefined : currentBoot(),
    };
    if (this.#flusher && (this.#hasUnsyncedBytes || this.#flusher.hasFailed)) {
      // Power-loss safety (FAULTS LOC-06): data reaches the device before the journal claims it.
      this.#hasUnsyncedBytes = false;
      try {
        await this.#onDisk('flush', this.#flusher.flush());
      } catch (error) {
        // The failure is sticky: every later checkpoint comes back here and fails too.
        await this.#withdrawClaims(journal, claimed);
        throw error;
      }
    }
    await this.#onDisk('write', writeJournal(this.paths.journal, journal));
    this.#lastClaimed = claimed;
    this.#isJournalWritten = true;
    this.#isJournalSegmented = journal.isSegmented === true;
  }

  /**
   * After a failed flush the journal may claim nothing new, but it must still stop claiming what
   * was since voided or rolled back (bytes of an unusable answer): it keeps the claims that are in
   * both the last journal written and the ranges now. It is marked segmented, so the next run does
   * not take the bytes past its ranges for data from the file's length (some were lost).
   */
  async #withdrawClaims(journal: Journal, claimed: ByteRanges): Promise<void> {
    if (!this.#lastClaimed) return;
    const kept = claimed.intersection(this.#lastClaimed);
    // The flush error is the one to report; a journal that cannot be written changes nothing here.
    const withdrawn = { ...journal, ranges: kept.toArray(), isSegmented: true };
    await writeJournal(this.paths.journal, withdrawn).then(
      () => {
        this.#lastClaimed = kept;
        this.#isJournalSegmented = true;
      },
      () => undefined,
    );
  }

  /**
   * Awaits a read, write or flush of the partial, and reports one that takes longer than the
   * stall interval (again each interval): a slow or stalled disk is told for what it is, while the
   * connections wait for it without counting the server as silent (the watchdog's `hold`).
   */
  async #onDisk<T>(operation: 'read' | 'write' | 'flush', work: Promise<T>): Promise<T> {
    const started = performance.now();
    const timer = setInterval(() => {
      this.emit({ type: 'disk-stall', operation, waitedMs: Math.round(performance.now() - started) });
    }, this.#diskStallMs);
    timer.unref();
    try {
      return await work;
    } finally {
      clearInterval(timer);
    }
  }

  /** Emits a progress event, at most once per interval unless forced. */
  progress(force: boolean): void {
    const now = performance.now();
    const wait = this.#progressIntervalMs - (now - this.#lastProgressAt);
    if (!force && wait > 0) {
      // Trailing edge: the last bytes before a pause or a stall are reported too.
      this.#trailingProgress ??= setTimeout(() => {
        this.#trailingProgress = undefined;
        this.progress(true);
      }, wait).unref();
      return;
    }
    clearTimeout(this.#trailingProgress);
    this.#trailingProgress = undefined;
    this.#lastProgressAt = now;
    const bytesOnDisk = this.ranges.size;
    const reading = this.#meter.read(bytesOnDisk, this.total);
    this.emit({
      type: 'progress',
      bytesOnDisk,
      total: this.total,
      ...reading,
      connections: this.connections,
      ...(this.sourceReport ? { sources: this.sourceReport() } : {}),
    });
  }

  /** Flushes data and journal so the next run resumes from exactly what is on disk. */
  async flush(): Promise<void> {
    if (!this.#flusher) return;
    // A checkpoint flushes the data before it writes the journal; without one, flush the data alone.
    if (this.ranges.size > 0 || this.#isJournalWritten) await this.checkpoint(true);
    else await this.#flusher.flush();
  }

  /**
   * Readies the finished partial through its descriptor, never its path: bytes past `size` (voided
   * by a rollback) are cut and the remote's time is stamped. Returns which file it is, so that
   * the path renamed into place can be proven to be this file.
   */
  async seal(size: number): Promise<FileIdentity> {
    // A zero-byte remote never opened the partial: the finished file is empty.
    const file = await this.file();
    const actual = await file.size();
    if (actual > size) {
      // A flush still running finishes first; the next one (the final flush) covers the truncation.
      await this.#flusher?.settle();
      await this.#onDisk('write', file.truncate(size));
      this.#hasUnsyncedBytes = true;
    }
    if (actual < size) {
      throw new RegetError(
        ErrorCode.PARTIAL,
        `The partial file is ${actual} bytes but the remote has ${size}.`,
      );
    }
    // After the last write and truncation, which would move the time again.
    await file.stampModifiedTime(this.modifiedAt);
    return file.identity();
  }

  /** Whether anything of this download is on disk. */
  get hasPartial(): boolean {
    return this.#file !== undefined;
  }

  async close(): Promise<void> {
    await this.settle();
    await this.#flusher?.settle();
    clearTimeout(this.#trailingProgress);
    this.#trailingProgress = undefined;
    await this.#file?.close();
    this.#file = undefined;
    this.#flusher = undefined;
  }
}
