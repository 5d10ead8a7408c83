/** One reading of a transfer's progress. */
export interface ProgressReading {
  readonly bytesPerSecond: number;
  readonly etaSeconds: number | undefined;
}

/**
 * Smooths transfer speed (exponentially weighted over ~3 s) from samples of bytes received, so
 * the speed and ETA shown do not jump with every chunk. Speed counts only bytes that arrived in
 * this run, never bytes found on disk.
 */
export class ProgressMeter {
  #speed = 0;
  #lastTime: number | undefined;
  #lastBytes = 0;
  #hasSample = false;
  /** The first and the latest sample, for the average of a transfer too short to smooth. */
  #firstTime = 0;
  #firstBytes = 0;
  #latestTime = 0;
  #latestBytes = 0;

  /** Records that `receivedBytes` have arrived in total by `now` (ms). */
  sample(receivedBytes: number, now: number): void {
    this.#latestTime = now;
    this.#latestBytes = receivedBytes;
    if (this.#lastTime === undefined) {
      this.#lastTime = now;
      this.#lastBytes = receivedBytes;
      this.#firstTime = now;
      this.#firstBytes = receivedBytes;
      return;
    }
    const elapsed = now - this.#lastTime;
    if (elapsed < 100) return;
    const instant = ((receivedBytes - this.#lastBytes) * 1000) / elapsed;
    const weight = 1 - Math.exp(-elapsed / 3000);
    this.#speed = this.#hasSample ? this.#speed + weight * (instant - this.#speed) : instant;
    this.#hasSample = true;
    this.#lastTime = now;
    this.#lastBytes = receivedBytes;
  }

  /** Speed and time left, given the bytes on disk and the true total (undefined when unknown). */
  read(bytesOnDisk: number, total: number | undefined): ProgressReading {
    // A transfer shorter than one smoothing step still has a speed: its average so far.
    const elapsed = this.#latestTime - this.#firstTime;
    const speed = this.#hasSample
      ? this.#speed
      : elapsed > 0
        ? ((this.#latestBytes - this.#firstBytes) * 1000) / elapsed
        : 0;
    const bytesPerSecond = Math.max(0, Math.round(speed));
    const etaSeconds =
      total !== undefined && bytesPerSecond > 0
        ? Math.max(0, (total - bytesOnDisk) / bytesPerSecond)
        : undefined;
    return { bytesPerSecond, etaSeconds };
  }
}
