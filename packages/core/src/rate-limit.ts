import { sleep } from './timeout.js';

/**
 * Credit that time spent not reading may build up, in milliseconds of the rate: after a retry's
 * wait or a slow server, the reader may catch up this much at once and no more.
 */
const maxCreditMs = 250;

/**
 * Caps the transfer rate by pausing the writer: after each chunk it waits until the bytes so far
 * fit the budget. Backpressure then slows the sender, whatever the protocol.
 */
export class RateLimiter {
  readonly #bytesPerSecond: number;
  /** When the bytes taken so far are due at the rate. */
  #due: number | undefined;

  constructor(bytesPerSecond: number) {
    this.#bytesPerSecond = bytesPerSecond;
  }

  async take(bytes: number, signal: AbortSignal): Promise<void> {
    const now = performance.now();
    // A pause (a retry's backoff, a server that sent nothing) is not saved up for a burst that
    // would exceed the limit for seconds: the budget never lags the clock by more than the credit.
    const from = Math.max(this.#due ?? now, now - maxCreditMs);
    this.#due = from + (bytes * 1000) / this.#bytesPerSecond;
    if (this.#due > now + 5) await sleep(this.#due - now, signal);
  }
}
