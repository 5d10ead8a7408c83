import type { DownloadEvent, DownloadResult } from '@reget/core';
import { MultiBar, type Options, type Params, type SingleBar } from 'cli-progress';
import { type BarPayload, defaultColumns, renderBar } from './bar-line.js';
import type { Job, JobProgress } from './job.js';
import { describeDecision } from './messages.js';
import { LineReporter } from './plain-progress.js';
import type { ReporterOutput } from './reporter.js';

/**
 * One live bar per active download on a terminal, drawn by cli-progress (a MultiBar redraws in
 * place and prints log lines above the bars). Each bar shows the bytes on disk out of the true total,
 * speed and ETA as core reports them, laid out for the terminal's current width (bar-line.ts); an
 * unknown total shows no bar and no ETA rather than a guess. A finished file's bar is replaced by
 * its summary line.
 */
export class BarReporter extends LineReporter {
  readonly #bars: MultiBar;
  readonly #barByJob = new Map<number, SingleBar>();

  constructor(output: ReporterOutput) {
    super(output, { isQuiet: false });
    const options: Options = {
      stream: output.stderr,
      // Read at every redraw, so a resized terminal gets bars of its new width.
      format: (_options: Options, _params: Params, payload: BarPayload) =>
        renderBar(payload, output.stderr.columns || defaultColumns),
      hideCursor: true,
      clearOnComplete: true,
      // The command handles SIGINT itself and stops the bars on the way out.
      gracefulExit: false,
      fps: 8,
    };
    this.#bars = new MultiBar(options);
  }

  override succeeded(job: Job, result: DownloadResult, elapsedMs: number): void {
    this.#removeBar(job);
    super.succeeded(job, result, elapsedMs);
  }

  override failed(job: Job, error: unknown, exitCode: number, progress: JobProgress | undefined): void {
    this.#removeBar(job);
    super.failed(job, error, exitCode, progress);
  }

  override interrupted(job: Job, progress: JobProgress | undefined): void {
    this.#removeBar(job);
    super.interrupted(job, progress);
  }

  override close(): void {
    for (const bar of this.#barByJob.values()) this.#bars.remove(bar);
    this.#barByJob.clear();
    if (this.#bars.isActive) {
      // Flushes log lines still buffered by the MultiBar before it stops.
      this.#bars.update();
      this.#bars.stop();
    }
  }

  /** A fresh start needs no line here: its bar says it all. */
  protected override describe(job: Job, event: DownloadEvent): string | undefined {
    if (event.type !== 'decision') return super.describe(job, event);
    this.#ensureBar(job, event.offset, event.total);
    return describeDecision(job, event);
  }

  protected override progress(job: Job, event: Extract<DownloadEvent, { type: 'progress' }>): void {
    const bar = this.#ensureBar(job, event.bytesOnDisk, event.total);
    const payload: Partial<BarPayload> = {
      bytesOnDisk: event.bytesOnDisk,
      total: event.total,
      bytesPerSecond: event.bytesPerSecond,
      etaSeconds: event.etaSeconds,
    };
    if (event.total !== undefined && event.total !== bar.getTotal()) bar.setTotal(event.total);
    bar.update(event.bytesOnDisk, payload);
  }

  protected override print(line: string): void {
    if (this.#bars.isActive) {
      this.#bars.log(`${this.output.scrub(line)}\n`);
    } else {
      super.print(line);
    }
  }

  #ensureBar(job: Job, bytesOnDisk: number, total: number | undefined): SingleBar {
    const existing = this.#barByJob.get(job.index);
    if (existing) return existing;
    const payload: BarPayload = {
      label: job.label,
      bytesOnDisk,
      total,
      bytesPerSecond: 0,
      etaSeconds: undefined,
    };
    const bar = this.#bars.create(total ?? 0, bytesOnDisk, payload);
    this.#barByJob.set(job.index, bar);
    return bar;
  }

  #removeBar(job: Job): void {
    const bar = this.#barByJob.get(job.index);
    if (!bar) return;
    this.#barByJob.delete(job.index);
    this.#bars.remove(bar);
  }
}
