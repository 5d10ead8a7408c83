import { ErrorCode, RegetError } from './errors.js';

/** Rejects with the signal's reason as soon as it aborts, even if `promise` never settles. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Aborts `controller` with a TIMEOUT error when {@link Watchdog.touch} is not called for `ms`:
 * the idle timeout that fires on a stalled body, a hanging probe or a silent server (FAULTS NET-03).
 */
export class Watchdog {
  #ms: number;
  readonly #controller: AbortController;
  readonly #what: string;
  #timer: NodeJS.Timeout | undefined;
  #holds = 0;
  #isStopped = false;

  constructor(ms: number, controller: AbortController, what: string) {
    this.#ms = ms;
    this.#controller = controller;
    this.#what = what;
    this.touch();
  }

  /** Restarts the countdown, optionally with a new duration (connecting may take longer than idling). */
  touch(ms?: number): void {
    if (ms !== undefined) this.#ms = ms;
    this.#isStopped = false;
    clearTimeout(this.#timer);
    if (this.#holds > 0) return;
    this.#timer = setTimeout(() => {
      const seconds = Math.round(this.#ms / 100) / 10;
      this.#controller.abort(
        new RegetError(ErrorCode.TIMEOUT, `No data from ${this.#what} for ${seconds} s.`),
      );
    }, this.#ms);
    this.#timer.unref();
  }

  /**
   * Awaits reget's own work with the countdown stopped: while a write waits for the disk or the
   * rate limit pauses the reader, nothing is read from the server, so its silence is not a stall
   * (a slow disk is reported as one by the session, never retried as a silent server).
   */
  async hold<T>(work: Promise<T>): Promise<T> {
    this.#holds += 1;
    clearTimeout(this.#timer);
    try {
      return await work;
    } finally {
      this.#holds -= 1;
      if (this.#holds === 0 && !this.#isStopped) this.touch();
    }
  }

  stop(): void {
    this.#isStopped = true;
    clearTimeout(this.#timer);
  }
}

/** A hold at least this long is reget waiting, not a write that went straight through. */
const longHoldMs = 100;

/**
 * Aborts `controller` with a TIMEOUT error when fewer than `bytesPerSecond` arrive per second on
 * average over `seconds` (FAULTS NET-04): a trickle of one byte every few seconds defeats an idle
 * timeout but not this.
 */
export class LowSpeedGuard {
  readonly #timer: NodeJS.Timeout;
  #received = 0;
  readonly #window: number[] = [];
  /** When each hold now running started. */
  readonly #holdStarts: number[] = [];
  /** A long hold (a real wait, not a write that went straight through) ended in this second. */
  #wasHeld = false;

  constructor(
    limit: { readonly bytesPerSecond: number; readonly seconds: number },
    controller: AbortController,
  ) {
    this.#timer = setInterval(() => {
      const now = performance.now();
      const isHeld = this.#wasHeld || this.#holdStarts.some((start) => now - start >= longHoldMs);
      this.#wasHeld = false;
      if (isHeld) {
        // A second in which reget waited for its disk or its rate limit says nothing of the server.
        this.#received = 0;
        return;
      }
      this.#window.push(this.#received);
      this.#received = 0;
      if (this.#window.length > limit.seconds) this.#window.shift();
      const total = this.#window.reduce((sum, bytes) => sum + bytes, 0);
      if (this.#window.length >= limit.seconds && total < limit.bytesPerSecond * limit.seconds) {
        controller.abort(
          new RegetError(
            ErrorCode.TIMEOUT,
            `The transfer stayed below ${limit.bytesPerSecond} bytes/s for ${limit.seconds} s.`,
          ),
        );
      }
    }, 1000);
    this.#timer.unref();
  }

  received(bytes: number): void {
    this.#received += bytes;
  }

  /** Awaits reget's own work (a disk write, the rate limit's pause); its seconds are not counted. */
  async hold<T>(work: Promise<T>): Promise<T> {
    const start = performance.now();
    this.#holdStarts.push(start);
    try {
      return await work;
    } finally {
      this.#holdStarts.splice(this.#holdStarts.indexOf(start), 1);
      // Every chunk passes through a hold; only one that really waited takes its second out.
      if (performance.now() - start >= longHoldMs) this.#wasHeld = true;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
