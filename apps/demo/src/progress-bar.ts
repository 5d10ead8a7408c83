import type { DownloadEvent, DownloadResult } from '@reget/core';
import { MultiBar, type Options, type Params, type SingleBar } from 'cli-progress';
import { formatBytes, formatDuration, formatRate } from './human-units.js';
import type { Job, JobProgress } from './job.js';
import { describeDecision, describeRestart, describeRetry } from './messages.js';
import { LineReporter } from './plain-progress.js';
import type { ReporterOutput } from './reporter.js';

/** What a bar shows; core computes speed and ETA, so the bar library only draws. */
export interface BarPayload {
  label: string;
  bytesOnDisk: number;
  total: number | undefined;
  bytesPerSecond: number;
  etaSeconds: number | undefined;
}

const labelWidth = 28;
const barWidth = 24;

/**
 * One live bar per active download on a terminal, drawn by cli-progress (a MultiBar redraws in
 * place and prints log lines above the bars). Each bar shows the bytes on disk out of the true total,
 * speed and ETA as core reports them; an unknown total shows no bar and no ETA rather than a guess.
 * A finished file's bar is replaced by its summary line.
 */
export class BarReporter extends LineReporter {
  readonly #bars: MultiBar;
  readonly #barByJob = new Map<number, SingleBar>();

  constructor(output: ReporterOutput) {
    super(output, { isQuiet: false });
    const options: Options = {
      stream: output.stderr,
      format: (_options: Options, _params: Params, payload: BarPayload) => renderBar(payload),
      hideCursor: true,
      clearOnComplete: true,
      // The command handles SIGINT itself and stops the bars on the way out.
      gracefulExit: false,
      fps: 8,
    };
    this.#bars = new MultiBar(options);
  }

  override event(job: Job, event: DownloadEvent): void {
    if (event.type === 'progress') {
      this.progress(job, event);
      return;
    }
    if (event.type === 'decision') this.#ensureBar(job, event.offset, event.total);
    const line =
      event.type === 'decision'
        ? describeDecision(job, event)
        : event.type === 'restart'
          ? describeRestart(job, event)
          : event.type === 'retry'
            ? describeRetry(job, event)
            : undefined;
    if (line !== undefined) this.print(line);
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

/** `name  [=======-----]  42%  42.0 MiB/100 MiB  3.1 MiB/s  ETA 19s` */
export function renderBar(payload: BarPayload): string {
  const label = fit(payload.label, labelWidth);
  const rate = formatRate(payload.bytesPerSecond).padStart(11);
  if (payload.total === undefined) {
    return `${label} [${' '.repeat(barWidth)}] ${formatBytes(payload.bytesOnDisk).padStart(10)} of unknown ${rate}`;
  }
  const fraction = payload.total === 0 ? 1 : Math.min(payload.bytesOnDisk / payload.total, 1);
  const filled = Math.round(fraction * barWidth);
  const bar = '='.repeat(filled) + '-'.repeat(barWidth - filled);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const amount = `${formatBytes(payload.bytesOnDisk)}/${formatBytes(payload.total)}`.padStart(21);
  return `${label} [${bar}] ${percent} ${amount} ${rate} ETA ${formatDuration(payload.etaSeconds)}`;
}

function fit(text: string, width: number): string {
  return text.length > width ? `…${text.slice(text.length - width + 1)}` : text.padEnd(width);
}
