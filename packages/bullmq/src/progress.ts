import type { DownloadEvent } from '@reget/core';
import type { DownloadJobProgress } from './job.js';

/**
 * Passes a download's progress to `job.updateProgress`, at most once per `intervalMs` and one
 * call at a time: each update is a Redis round trip (and a queue event), and a fleet of fast
 * downloads must not hammer Redis. Failures (Redis away for a moment) are dropped; the next
 * update carries the news.
 */
export class ProgressReporter {
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #pending: Promise<void> | undefined;
  #latest: DownloadJobProgress | undefined;
  /** Updates sent so far. */
  sent = 0;

  constructor(
    private readonly update: (progress: DownloadJobProgress) => Promise<void>,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  onEvent(event: DownloadEvent): void {
    if (event.type !== 'progress') return;
    this.#latest = {
      bytesOnDisk: event.bytesOnDisk,
      total: event.total ?? null,
      bytesPerSecond: Math.round(event.bytesPerSecond),
      ...(event.total ? { progress: Math.floor((event.bytesOnDisk / event.total) * 100) } : {}),
    };
    if (this.#pending !== undefined || this.now() - this.#lastSentAt < this.intervalMs) return;
    this.#send();
  }

  #send(): void {
    const progress = this.#latest;
    if (progress === undefined) return;
    this.#lastSentAt = this.now();
    this.sent += 1;
    this.#pending = this.update(progress)
      .catch(() => undefined)
      .finally(() => {
        this.#pending = undefined;
      });
  }

  /** Waits for the update in flight, so none lands after the job has finished. */
  async settle(): Promise<void> {
    await this.#pending;
  }
}
