import { Writable } from 'node:stream';
import { ErrorCode, RegetError } from '@reget/core';

/** How many bytes a transfer should deliver. */
export interface BodyLimits {
  /** Stop after this many bytes and end normally (a read with `end` before the end of the file). */
  readonly wanted: number | undefined;
  /** Exactly this many bytes must arrive (SIZE − start); more means REST was ignored. */
  readonly expected: number | undefined;
}

/** How the body finished, for whoever owns the connection. */
export type BodySettlement =
  /** 226 with the right byte count: the control connection can serve another read. */
  | 'reusable'
  /** Ended early on purpose, failed or was abandoned: close the connection. */
  | 'close';

// Bytes queued for a slow consumer before the data socket is paused.
const highWaterMark = 256 * 1024;

/**
 * Bridges basic-ftp's `downloadTo(writable)` to the async iterable body of a ReadResponse, with
 * backpressure: the data socket is paused while the consumer lags. The body ends normally only
 * after {@link TransferBody.complete} (the 226 reply) with the expected byte count; every other
 * end raises a RegetError after the bytes that did arrive.
 */
export class TransferBody {
  /** Pass this to basic-ftp's `downloadTo`. */
  readonly sink: Writable;
  readonly #limits: BodyLimits;
  readonly #onSettle: (settlement: BodySettlement) => void;
  readonly #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #received = 0;
  #held: (() => void) | undefined;
  #wake: (() => void) | undefined;
  #outcome: { readonly error: RegetError | undefined } | undefined;

  constructor(limits: BodyLimits, onSettle: (settlement: BodySettlement) => void) {
    // A cut only makes sense before the end: when `wanted` reaches the end of the file, counting to
    // the 226 reply is what detects an ignored REST.
    const cutsEarly =
      limits.wanted !== undefined && (limits.expected === undefined || limits.wanted < limits.expected);
    this.#limits = { wanted: cutsEarly ? limits.wanted : undefined, expected: limits.expected };
    this.#onSettle = onSettle;
    this.sink = new Writable({
      highWaterMark: 64 * 1024,
      write: (chunk: Buffer, _encoding, callback) => this.#write(chunk, callback),
      // basic-ftp ends the sink even after a failed transfer; the 226 reply decides, not this.
      final: (callback) => callback(),
    });
  }

  /** Bytes received so far. */
  get received(): number {
    return this.#received;
  }

  /** The control connection reported success (226): end normally if the count is right. */
  complete(host: string): void {
    const { expected } = this.#limits;
    if (expected !== undefined && this.#received < expected) {
      this.fail(
        new RegetError(
          ErrorCode.PARTIAL,
          `The transfer from ${host} ended ${expected - this.#received} bytes early.`,
        ),
      );
      return;
    }
    this.#settle(undefined, 'reusable');
  }

  /** The transfer failed: the consumer gets the bytes already queued, then `error`. */
  fail(error: RegetError): void {
    this.#settle(error, 'close');
  }

  /** The bytes, in order; usable once. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let isFinished = false;
    try {
      for (;;) {
        const chunk = this.#queue.shift();
        if (chunk !== undefined) {
          this.#queuedBytes -= chunk.length;
          if (this.#queuedBytes < highWaterMark) this.#release();
          yield chunk;
          continue;
        }
        if (this.#outcome !== undefined) {
          isFinished = true;
          if (this.#outcome.error !== undefined) throw this.#outcome.error;
          return;
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    } finally {
      if (!isFinished) this.#settle(new RegetError(ErrorCode.ABORTED, 'The read was abandoned.'), 'close');
    }
  }

  #write(chunk: Buffer, callback: () => void): void {
    if (this.#outcome !== undefined) {
      callback();
      return;
    }
    const { wanted, expected } = this.#limits;
    if (wanted !== undefined && this.#received + chunk.length >= wanted) {
      this.#push(chunk.subarray(0, wanted - this.#received));
      callback();
      this.#settle(undefined, 'close');
      return;
    }
    if (expected !== undefined && this.#received + chunk.length > expected) {
      // Whatever arrived is not the requested part of the file; drop what the consumer has not taken.
      this.#queue.length = 0;
      this.#queuedBytes = 0;
      callback();
      this.fail(
        new RegetError(
          ErrorCode.RANGE_NOT_SUPPORTED,
          'The FTP server sent more bytes than remain after the offset: it ignored REST.',
        ),
      );
      return;
    }
    this.#push(chunk);
    if (this.#queuedBytes < highWaterMark) callback();
    else this.#held = callback;
  }

  #push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#queue.push(chunk);
    this.#queuedBytes += chunk.length;
    this.#received += chunk.length;
    this.#wakeConsumer();
  }

  #release(): void {
    const held = this.#held;
    this.#held = undefined;
    held?.();
  }

  #wakeConsumer(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #settle(error: RegetError | undefined, settlement: BodySettlement): void {
    if (this.#outcome !== undefined) return;
    this.#outcome = { error };
    this.#release();
    this.#wakeConsumer();
    this.#onSettle(settlement);
  }
}
