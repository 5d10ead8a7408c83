import { type DownloadEvent, type DownloadResult, RegetError, redactUrl } from '@reget/core';
import type { HostKeyAdded } from '@reget/sftp';
import type { Job, JobProgress } from './job.js';
import type { BatchOutcome } from './messages.js';
import { LineReporter } from './plain-progress.js';
import type { ReporterOutput } from './reporter.js';

/**
 * `--json`: one JSON object per line on stdout for every core event, plus a final `result`, `error`
 * or `interrupted` object per file. Every object carries `job` (position on the command line), `url`
 * (redacted) and `destination`. People still get failures and warnings on stderr, as plain lines.
 *
 * Object types: `probe`, `decision`, `restart`, `retry`, `progress`, `complete` (core's events,
 * fields as in @reget/core's DownloadEvent; a retry's `error` is `{code, message, retryable}`; a
 * probe's own URL, where redirects led, is `finalUrl`, redacted), `result` (a DownloadResult plus
 * `elapsedMs`), `error` (`code`, `message`, `exitCode`) and `interrupted` (`bytesOnDisk`, `total`).
 * Not tied to one file: `hostKeyAdded` (`host`, `keyType`, `fingerprint`, `file`) and, after a run
 * over several URLs, `summary` (`saved`, `alreadyComplete`, `failed`, `interrupted`).
 */
export class JsonReporter extends LineReporter {
  constructor(output: ReporterOutput) {
    super(output, { isQuiet: true });
  }

  override event(job: Job, event: DownloadEvent): void {
    const fields =
      event.type === 'retry'
        ? { ...event, error: errorFields(event.error) }
        : event.type === 'probe'
          ? { ...event, finalUrl: redactUrl(event.url) }
          : event;
    this.#emit(job, fields);
  }

  override hostKeyAdded(added: HostKeyAdded): void {
    this.#write({ type: 'hostKeyAdded', ...added });
    super.hostKeyAdded(added);
  }

  override batchFinished(outcome: BatchOutcome): void {
    this.#write({ type: 'summary', ...outcome });
  }

  override succeeded(job: Job, result: DownloadResult, elapsedMs: number): void {
    this.#emit(job, { type: 'result', ...result, elapsedMs });
  }

  override failed(job: Job, error: unknown, exitCode: number, progress: JobProgress | undefined): void {
    this.#emit(job, { type: 'error', ...errorFields(error), exitCode, bytesOnDisk: progress?.bytesOnDisk });
    super.failed(job, error, exitCode, progress);
  }

  override interrupted(job: Job, progress: JobProgress | undefined): void {
    this.#emit(job, { type: 'interrupted', bytesOnDisk: progress?.bytesOnDisk, total: progress?.total });
    super.interrupted(job, progress);
  }

  override error(error: unknown, exitCode: number): void {
    this.#write({ type: 'error', ...errorFields(error), exitCode });
    super.error(error, exitCode);
  }

  #emit(job: Job, fields: { readonly type: string; readonly [key: string]: unknown }): void {
    // `type` first, then which file it concerns, then the event's own fields. The job's URL and
    // destination are set after those: an event's own `url` (the probe's) may hold a signature.
    const { type, ...rest } = fields;
    this.#write({ type, job: job.index, ...rest, url: job.displayUrl, destination: job.destination });
  }

  #write(record: Record<string, unknown>): void {
    this.output.stdout.write(
      `${this.output.scrub(JSON.stringify({ time: new Date().toISOString(), ...record }))}\n`,
    );
  }
}

function errorFields(error: unknown): { code: string; message: string; retryable?: boolean } {
  if (error instanceof RegetError)
    return { code: error.code, message: error.message, retryable: error.retryable };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
