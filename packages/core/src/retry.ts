import { asRegetError, isUnreachable, type RegetError } from './errors.js';
import type { DownloadEvent } from './events.js';
import { sleep } from './timeout.js';

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

/** What {@link waitToRetry} needs to know about the download. */
export interface RetryContext {
  readonly budget: RetryBudget;
  /** The failed attempt brought new bytes to disk (or restarted): the count starts again. */
  readonly madeProgress: boolean;
  /** A server answered earlier in this download: a refusal now is a restart, not a typo. */
  readonly hasReachedServer: boolean;
  readonly attempt: number;
  readonly retryDelayMs: number;
  readonly signal: AbortSignal;
  /** Runs before the wait (flush what is on disk, so a kill during the wait loses nothing). */
  readonly beforeWait?: (() => Promise<void>) | undefined;
  readonly emit: (event: DownloadEvent) => void;
  readonly bytesOnDisk: number;
  readonly total: number | undefined;
}

/**
 * After a failed attempt: throws `error` when it must not be retried (not retryable, aborted, a
 * typo'd host or port, the budget spent), else reports the retry and waits before the next one.
 */
export async function waitToRetry(error: RegetError, context: RetryContext): Promise<void> {
  const { signal } = context;
  if (!error.retryable || signal.aborted) throw error;
  // A typo'd host or port fails at once, as in curl and wget; a server heard from earlier in this
  // download that now refuses is restarting, and is waited for.
  if (isUnreachable(error) && !context.hasReachedServer) throw error;
  const failures = context.budget.fail(context.madeProgress);
  if (failures === undefined) throw error;
  const delayMs = retryDelay(failures, context.retryDelayMs, error);
  await context.beforeWait?.();
  context.emit({
    type: 'retry',
    attempt: context.attempt,
    delayMs,
    error,
    bytesOnDisk: context.bytesOnDisk,
    total: context.total,
  });
  await sleep(delayMs, signal).catch((reason: unknown) => {
    throw asRegetError(reason, signal);
  });
}
