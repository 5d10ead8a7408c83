import { setMaxListeners } from 'node:events';
import { ErrorCode, RegetError } from '@reget/core';

/**
 * Ctrl-C and SIGTERM: the first one aborts every download through one AbortSignal, so core stops
 * promptly and leaves each partial and journal resumable; the command then reports and exits 130.
 * A second one exits at once, for a user who does not want to wait for the clean stop.
 */
export class Interrupt {
  readonly #controller = new AbortController();
  readonly #onSignal: (signal: NodeJS.Signals) => void;
  #isInstalled = false;

  /** `onForcedExit` runs before the process exits on the second signal (restore the cursor). */
  constructor(onForcedExit: () => void = () => {}) {
    // Every queued download listens on this one signal; a long -i list is not a leak.
    setMaxListeners(0, this.#controller.signal);
    this.#onSignal = (signal) => {
      if (this.#controller.signal.aborted) {
        onForcedExit();
        process.exit(130);
      }
      this.#controller.abort(new RegetError(ErrorCode.ABORTED, `Interrupted by ${signal}.`));
    };
  }

  /** Stops as the first signal would, for a reason of the command's own (its parent went away). */
  stop(reason: string): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(new RegetError(ErrorCode.ABORTED, reason));
  }

  /** Aborted on the first SIGINT or SIGTERM. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get isInterrupted(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Starts listening for SIGINT and SIGTERM (instead of Node's default of exiting at once). */
  install(): void {
    if (this.#isInstalled) return;
    this.#isInstalled = true;
    process.on('SIGINT', this.#onSignal);
    process.on('SIGTERM', this.#onSignal);
  }

  /** Stops listening; safe to call twice. */
  uninstall(): void {
    if (!this.#isInstalled) return;
    this.#isInstalled = false;
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
  }
}
