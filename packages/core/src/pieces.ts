import { createHash } from 'node:crypto';
import { parseChecksum } from './checksum.js';
import { ErrorCode, RegetError } from './errors.js';
import type { PieceHashes } from './options.js';
import { type ByteRange, ByteRanges } from './ranges.js';

/** Checks piece hashes (algorithm, length, hex digits), or throws BAD_INPUT. */
export function checkPieceHashes(pieces: PieceHashes): void {
  if (!Number.isSafeInteger(pieces.length) || pieces.length < 1) {
    throw new RegetError(ErrorCode.BAD_INPUT, 'The piece length must be a whole number of bytes.');
  }
  if (pieces.hashes.length === 0) throw new RegetError(ErrorCode.BAD_INPUT, 'No piece hashes were given.');
  for (const hash of pieces.hashes) parseChecksum(`${pieces.algorithm}:${hash}`);
}

/**
 * Verifies pieces as soon as they are whole on disk (FAULTS: a mirror serving other bytes is
 * caught at the piece, not at the end). Only verified pieces may be claimed by the journal.
 */
export class PieceVerifier {
  readonly #pieces: PieceHashes;
  readonly #readAt: (position: number, length: number) => Promise<Uint8Array>;
  readonly #onFailure: (range: ByteRange) => Promise<void>;
  readonly #verified = new ByteRanges();
  readonly #queued = new Set<number>();
  /** Bumped when bytes of the file are rolled back: a check that started before must not count. */
  #generation = 0;
  #total: number | undefined;
  #chain: Promise<void> = Promise.resolve();
  #error: unknown;

  constructor(
    pieces: PieceHashes,
    readAt: (position: number, length: number) => Promise<Uint8Array>,
    onFailure: (range: ByteRange) => Promise<void>,
  ) {
    this.#pieces = pieces;
    this.#readAt = readAt;
    this.#onFailure = onFailure;
  }

  /** The file's size, once known; the hashes must cover exactly it. */
  setTotal(total: number | undefined): void {
    if (total === undefined || total === this.#total) return;
    const count = Math.ceil(total / this.#pieces.length);
    if (count !== this.#pieces.hashes.length) {
      throw new RegetError(
        ErrorCode.BAD_INPUT,
        `${this.#pieces.hashes.length} piece hashes of ${this.#pieces.length} bytes cannot cover a file of ${total} bytes.`,
        { retryable: false },
      );
    }
    this.#total = total;
  }

  #range(index: number): ByteRange {
    const start = index * this.#pieces.length;
    return [start, Math.min(start + this.#pieces.length, this.#total ?? Infinity)];
  }

  /** Pieces a journal claimed were verified before it claimed them. */
  adopt(claimed: readonly ByteRange[]): void {
    if (this.#total === undefined) return;
    const ranges = new ByteRanges(claimed);
    for (let index = 0; index < this.#pieces.hashes.length; index += 1) {
      const [start, end] = this.#range(index);
      if (ranges.covers(start, end)) this.#verified.add(start, end);
    }
  }

  /** Forget every verification (the bytes on disk were discarded). */
  reset(): void {
    this.#verified.clear();
    this.#queued.clear();
    this.#generation += 1;
  }

  /** A piece was rolled back: it must be verified again once it is whole. */
  forget(start: number, end: number): void {
    this.#verified.remove(start, end);
    this.#generation += 1;
  }

  /**
   * Bytes `[start, end)` are on disk (`onDisk` says which bytes are): every piece they completed
   * is queued for verification, in the background.
   */
  written(start: number, end: number, onDisk: ByteRanges): void {
    if (this.#total === undefined) return;
    const first = Math.floor(start / this.#pieces.length);
    const last = Math.min(this.#pieces.hashes.length - 1, Math.floor((end - 1) / this.#pieces.length));
    for (let index = first; index <= last; index += 1) this.#queueIfWhole(index, onDisk);
  }

  /** Queues every whole, unverified piece (bytes a journal did not vouch for). */
  checkAll(onDisk: ByteRanges): void {
    if (this.#total === undefined) return;
    for (let index = 0; index < this.#pieces.hashes.length; index += 1) this.#queueIfWhole(index, onDisk);
  }

  #queueIfWhole(index: number, onDisk: ByteRanges): void {
    const [start, end] = this.#range(index);
    if (this.#queued.has(index) || this.#verified.covers(start, end) || !onDisk.covers(start, end)) return;
    this.#queued.add(index);
    this.#chain = this.#chain.then(async () => {
      try {
        const generation = this.#generation;
        const bytes = await this.#readAt(start, end - start);
        const digest = createHash(this.#pieces.algorithm).update(bytes).digest('hex');
        // Bytes rolled back while they were read: the piece is checked again once whole.
        if (generation !== this.#generation) return;
        if (digest === this.#pieces.hashes[index]) this.#verified.add(start, end);
        else await this.#onFailure([start, end]);
      } catch (error) {
        this.#error ??= error;
      } finally {
        this.#queued.delete(index);
      }
    });
  }

  /** Waits for every queued verification; rethrows a read failure. */
  async settle(): Promise<void> {
    await this.#chain;
    if (this.#error !== undefined) {
      const error = this.#error;
      this.#error = undefined;
      throw error;
    }
  }

  /** What of `claimed` the journal may claim: verified pieces only. */
  claimable(claimed: ByteRanges): ByteRanges {
    return claimed.intersection(this.#verified);
  }

  /** Whether every piece of the file passed. */
  get isComplete(): boolean {
    return this.#total !== undefined && this.#verified.covers(0, this.#total);
  }
}
