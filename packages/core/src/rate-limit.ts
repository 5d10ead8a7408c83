import { sleep } from './timeout.js';

/**
 * Caps the transfer rate by pausing the writer: after each chunk it waits until the bytes so far
 * fit the budget. Backpressure then slows the sender, whatever the protocol.
 */
export class RateLimiter {
  readonly #bytesPerSecond: number;
  #start: number | undefined;
  #bytes = 0;

  constructor(bytesPerSecond: number) {
    this.#bytesPerSecond = bytesPerSecond;
  }

  async take(bytes: number, signal: AbortSignal): Promise<void> {
    const now = performance.now();
    this.#start ??= now;
    this.#bytes += bytes;
    const due = this.#start + (this.#bytes * 1000) / this.#bytesPerSecond;
    if (due > now + 5) await sleep(due - now, signal);
  }
}
