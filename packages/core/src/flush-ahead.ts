/**
 * Written bytes after which a flush to the device starts in the background. Measured on 1 GiB over
 * loopback (2 cores, ext4 on a virtual disk): with only the once-a-second checkpoint flushing, up to
 * a second of data was still in the page cache when the last byte arrived, and the flush before the
 * rename took 60–280 ms with nothing else to do; flushing every 16 MiB beside the transfer left
 * 12–17 ms, and whole downloads took ~8 % less over HTTP, FTP and SFTP. A slow download never
 * reaches it between checkpoints, so it adds no flushes there.
 */
export const flushAheadBytes = 16 * 1024 * 1024;

/**
 * Every flush of the partial to the device goes through here, one at a time: the checkpoints' and
 * the final one (awaited), and flush-ahead ones started beside the transfer (not awaited).
 *
 * Linux reports a write-back error to one fsync of a descriptor and then forgets it. Hence one at a
 * time (of two overlapping flushes, the one that did not see the error could vouch for lost bytes)
 * and a sticky failure (a flush-ahead that failed unseen must not let the next flush succeed and
 * the journal or the final rename vouch for bytes that never reached the device).
 */
export class FlushAhead {
  readonly #flush: () => Promise<void>;
  #running: Promise<void> | undefined;
  #bytesSinceFlush = 0;
  #failure: unknown;
  #hasFailed = false;

  constructor(flush: () => Promise<void>) {
    this.#flush = flush;
  }

  /** Counts `bytes` just written; starts a background flush when enough wait and none is running. */
  wrote(bytes: number): void {
    this.#bytesSinceFlush += bytes;
    if (this.#running || this.#hasFailed || this.#bytesSinceFlush < flushAheadBytes) return;
    void this.#start();
  }

  /** Whether a flush has failed: nothing written since can be vouched for. */
  get hasFailed(): boolean {
    return this.#hasFailed;
  }

  /** Throws the failure of an earlier flush, if one failed. */
  throwIfFailed(): void {
    if (this.#hasFailed) throw this.#failure;
  }

  /** Flushes everything written so far; fails if this or any earlier flush failed. */
  async flush(): Promise<void> {
    // Checked again after every wait, and then started at once: nothing can slip in between.
    while (this.#running) await this.#running;
    if (this.#hasFailed) throw this.#failure;
    await this.#start();
    if (this.#hasFailed) throw this.#failure;
  }

  /** Waits until no flush is running (before the descriptor closes or is truncated); never throws. */
  async settle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Starts a flush of everything written so far; the caller made sure none is running. */
  #start(): Promise<void> {
    this.#bytesSinceFlush = 0;
    const running = this.#attempt().finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
    return running;
  }

  async #attempt(): Promise<void> {
    try {
      await this.#flush();
    } catch (error) {
      if (this.#hasFailed) return;
      this.#failure = error;
      this.#hasFailed = true;
    }
  }
}
