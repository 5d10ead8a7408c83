import { download } from './download.js';
import { ErrorCode, RegetError } from './errors.js';
import type { DownloadEvent } from './events.js';
import type { DownloadOptions, DownloadResult } from './options.js';

/** One download in a {@link DownloadQueue}. */
export interface QueueItem {
  readonly id: number;
  readonly options: DownloadOptions;
  /** Settles when the download finishes, fails, or is cancelled (ABORTED). */
  readonly result: Promise<DownloadResult>;
  /** Stops the transfer and keeps the partial; the item waits until {@link QueueItem.resume}. */
  pause(): void;
  /** Puts a paused item back in line; it resumes from the bytes on disk. */
  resume(): void;
  /** Stops the item for good; the partial stays resumable on disk. */
  cancel(): void;
}

/** Options for {@link DownloadQueue}. */
export interface QueueOptions {
  /** Downloads running at once. Default 4. */
  readonly concurrency?: number | undefined;
  /** Receives every item's events, tagged with the item. */
  readonly onEvent?: ((item: QueueItem, event: DownloadEvent) => void) | undefined;
}

interface Entry {
  item: QueueItem;
  state: 'waiting' | 'running' | 'paused' | 'done';
  controller: AbortController | undefined;
  /** True while a transfer of this item has not settled (a paused one may still be stopping). */
  isBusy: boolean;
  settle: { resolve: (value: DownloadResult) => void; reject: (error: unknown) => void };
}

/**
 * Runs many downloads with a concurrency limit, with per-item pause, resume and cancel. Pausing
 * aborts the running transfer (leaving a resumable partial); resuming queues it again.
 */
export class DownloadQueue {
  readonly #concurrency: number;
  readonly #onEvent: QueueOptions['onEvent'];
  readonly #entries: Entry[] = [];
  #nextId = 1;
  #idleWaiters: Array<() => void> = [];

  constructor(options: QueueOptions = {}) {
    const concurrency = options.concurrency ?? 4;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
      throw new RegetError(
        ErrorCode.BAD_INPUT,
        'The queue concurrency must be a whole number of at least 1.',
      );
    }
    this.#concurrency = concurrency;
    this.#onEvent = options.onEvent;
  }

  /** Adds a download; it starts when a slot is free. */
  add(options: DownloadOptions): QueueItem {
    let settle!: Entry['settle'];
    const result = new Promise<DownloadResult>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Callers may only look at the item's events; an unobserved rejection must not crash the process.
    result.catch(() => undefined);
    const id = this.#nextId++;
    const item: QueueItem = {
      id,
      options,
      result,
      pause: () => this.#pause(entry),
      resume: () => this.#resume(entry),
      cancel: () => this.#cancel(entry),
    };
    const entry: Entry = { item, state: 'waiting', controller: undefined, isBusy: false, settle };
    this.#entries.push(entry);
    this.#pump();
    return item;
  }

  /** Resolves when nothing is waiting or running (paused items do not count, once they have stopped). */
  onIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #isIdle(): boolean {
    return this.#entries.every(
      (entry) => !entry.isBusy && (entry.state === 'done' || entry.state === 'paused'),
    );
  }

  #pump(): void {
    // A paused or cancelled transfer holds its slot (and its lock) until it has really stopped.
    let running = this.#entries.filter((entry) => entry.isBusy).length;
    for (const entry of this.#entries) {
      if (running >= this.#concurrency) break;
      if (entry.state !== 'waiting' || entry.isBusy) continue;
      running += 1;
      this.#start(entry);
    }
    if (this.#isIdle()) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const waiter of waiters) waiter();
    }
  }

  #start(entry: Entry): void {
    const controller = new AbortController();
    entry.state = 'running';
    entry.controller = controller;
    entry.isBusy = true;
    const outer = entry.item.options.signal;
    const onOuterAbort = () => controller.abort(outer?.reason);
    if (outer?.aborted) onOuterAbort();
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    const options: DownloadOptions = {
      ...entry.item.options,
      signal: controller.signal,
      onEvent: (event) => {
        entry.item.options.onEvent?.(event);
        this.#onEvent?.(entry.item, event);
      },
    };
    const settled = download(options).finally(() => outer?.removeEventListener('abort', onOuterAbort));
    settled.then(
      (value) => {
        entry.isBusy = false;
        this.#finish(entry, () => entry.settle.resolve(value));
      },
      (error: unknown) => {
        entry.isBusy = false;
        // A pause aborts the transfer on purpose: the item waits (or was resumed) instead of failing.
        if (entry.state === 'paused' || entry.state === 'waiting') return this.#pump();
        this.#finish(entry, () => entry.settle.reject(error));
      },
    );
  }

  #finish(entry: Entry, settle: () => void): void {
    entry.state = 'done';
    entry.controller = undefined;
    this.#forget(entry);
    settle();
    this.#pump();
  }

  /** A finished item leaves the list: a long-lived queue holds only what is still to do. */
  #forget(entry: Entry): void {
    const index = this.#entries.indexOf(entry);
    if (index !== -1) this.#entries.splice(index, 1);
  }

  #pause(entry: Entry): void {
    if (entry.state === 'done' || entry.state === 'paused') return;
    const wasRunning = entry.state === 'running';
    entry.state = 'paused';
    if (wasRunning) entry.controller?.abort(new RegetError(ErrorCode.ABORTED, 'Paused.'));
    else this.#pump();
  }

  #resume(entry: Entry): void {
    if (entry.state !== 'paused') return;
    entry.state = 'waiting';
    this.#pump();
  }

  #cancel(entry: Entry): void {
    if (entry.state === 'done') return;
    entry.state = 'done';
    if (entry.isBusy) {
      // The transfer settles the item (ABORTED) once it has stopped: the partial and journal are
      // flushed and the lock released, so the caller may resume the destination at once.
      entry.controller?.abort(new RegetError(ErrorCode.ABORTED, 'Cancelled.'));
      return;
    }
    this.#forget(entry);
    entry.settle.reject(
      new RegetError(ErrorCode.ABORTED, 'The download was cancelled; its partial is kept.'),
    );
    this.#pump();
  }
}
