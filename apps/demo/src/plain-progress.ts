import type { DownloadEvent, DownloadResult } from '@reget/core';
import type { HostKeyAdded } from '@reget/sftp';
import type { Job, JobProgress } from './job.js';
import {
  type BatchOutcome,
  describeBatch,
  describeDecision,
  describeDiskStall,
  describeFailure,
  describeHostKeyAdded,
  describeInterrupted,
  describeProgress,
  describeRestart,
  describeRetry,
  describeSegments,
  describeSourceDropped,
  describeSources,
  describeStart,
  describeSuccess,
} from './messages.js';
import { debugDetails, type Reporter, type ReporterOutput } from './reporter.js';

/** Seconds between progress lines of one file when output is not a terminal: a log, not a flood. */
const progressLineIntervalMs = 5000;

/**
 * Plain lines on stderr, for output that is not a terminal (a log file, CI) and, with `isQuiet`,
 * for `--quiet`, which prints failures and warnings only. Subclassed by the live bars, which change
 * how progress is shown and where a line goes.
 */
export class LineReporter implements Reporter {
  protected readonly output: ReporterOutput;
  readonly #isQuiet: boolean;
  readonly #lastProgressLineAt = new Map<number, number>();
  readonly #segmentLines = new Map<number, string>();
  readonly #sourceLines = new Map<number, string>();
  readonly #diskStallLineAt = new Map<number, number>();

  constructor(output: ReporterOutput, options: { readonly isQuiet: boolean }) {
    this.output = output;
    this.#isQuiet = options.isQuiet;
  }

  event(job: Job, event: DownloadEvent): void {
    if (this.#isQuiet) return;
    if (event.type === 'progress') {
      this.progress(job, event);
      return;
    }
    const line = this.describe(job, event);
    if (line !== undefined) this.print(line);
  }

  succeeded(job: Job, result: DownloadResult, elapsedMs: number): void {
    if (!this.#isQuiet) this.print(describeSuccess(job, result, elapsedMs));
  }

  failed(job: Job, error: unknown, _exitCode: number, progress: JobProgress | undefined): void {
    this.printError(describeFailure(job, error, progress), error);
  }

  interrupted(job: Job, progress: JobProgress | undefined): void {
    this.print(describeInterrupted(job, progress));
  }

  error(error: unknown, _exitCode: number): void {
    this.printError(describeFailure(undefined, error), error);
  }

  warn(line: string): void {
    this.print(line);
  }

  hostKeyAdded(added: HostKeyAdded): void {
    this.print(describeHostKeyAdded(added));
  }

  batchFinished(outcome: BatchOutcome): void {
    if (!this.#isQuiet) this.print(describeBatch(outcome));
  }

  close(): void {}

  /** The line for a non-progress event, or undefined when the event is not worth a line. */
  protected describe(job: Job, event: DownloadEvent): string | undefined {
    switch (event.type) {
      case 'decision':
        return event.action === 'fresh' ? describeStart(job, event) : describeDecision(job, event);
      case 'restart':
        return describeRestart(job, event);
      case 'segments': {
        // Said once per download, not again on every retry.
        const line = describeSegments(job, event);
        if (line === undefined || this.#segmentLines.get(job.index) === line) return undefined;
        this.#segmentLines.set(job.index, line);
        return line;
      }
      case 'retry':
        return describeRetry(job, event);
      case 'sources': {
        // Said once per download, and again only when the list changes.
        const line = describeSources(job, event);
        if (this.#sourceLines.get(job.index) === line) return undefined;
        this.#sourceLines.set(job.index, line);
        return line;
      }
      case 'source-dropped':
        return describeSourceDropped(job, event);
      case 'disk-stall': {
        // Each connection waiting on the disk reports it; one line per file now and then is enough.
        const now = Date.now();
        const last = this.#diskStallLineAt.get(job.index);
        if (last !== undefined && now - last < progressLineIntervalMs) return undefined;
        this.#diskStallLineAt.set(job.index, now);
        return describeDiskStall(job, event);
      }
      default:
        return undefined;
    }
  }

  /** Shows a progress event; here, one line per file every few seconds. */
  protected progress(job: Job, event: Extract<DownloadEvent, { type: 'progress' }>): void {
    const now = Date.now();
    const last = this.#lastProgressLineAt.get(job.index);
    if (last === undefined) {
      // The first event only starts the clock: a short download then prints no progress line.
      this.#lastProgressLineAt.set(job.index, now);
      return;
    }
    if (now - last < progressLineIntervalMs) return;
    this.#lastProgressLineAt.set(job.index, now);
    this.print(describeProgress(job, event));
  }

  /** Writes one line on stderr. */
  protected print(line: string): void {
    this.output.stderr.write(`${this.output.scrub(line)}\n`);
  }

  private printError(line: string, error: unknown): void {
    this.print(line);
    if (this.output.isDebug) {
      for (const detail of debugDetails(error)) this.print(detail);
    }
  }
}
