import type { RegetError } from './errors.js';

const maxDelayMs = 30_000;

/**
 * The delay before retry number `failures` (1-based): exponential from `baseMs`, capped at 30 s,
 * with full jitter so many clients do not retry in step. A server's Retry-After hint wins when it
 * is longer (FAULTS NET-06), capped at five minutes.
 */
export function retryDelay(
  failures: number,
  baseMs: number,
  error: RegetError,
  random = Math.random,
): number {
  const exponential = Math.min(maxDelayMs, baseMs * 2 ** Math.max(0, failures - 1));
  const jittered = exponential / 2 + random() * (exponential / 2);
  const hint = error.retryAfterMs === undefined ? 0 : Math.min(error.retryAfterMs, 300_000);
  return Math.round(Math.max(jittered, hint));
}

/**
 * Counts failed attempts in a row that made no progress. An attempt that brought new bytes to
 * disk resets the count: a flaky link that keeps delivering is not a reason to give up, but a
 * server that fails at the same offset again and again is.
 */
export class RetryBudget {
  readonly #limit: number;
  #failures = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Records a failed attempt; returns the failure count, or undefined when the budget is spent. */
  fail(madeProgress: boolean): number | undefined {
    this.#failures = madeProgress ? 1 : this.#failures + 1;
    return this.#failures > this.#limit ? undefined : this.#failures;
  }

  /** An attempt ended without error. */
  succeed(): void {
    this.#failures = 0;
  }
}
