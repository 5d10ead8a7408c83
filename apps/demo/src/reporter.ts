import type { DownloadEvent, DownloadResult } from '@reget/core';
import type { HostKeyAdded } from '@reget/sftp';
import type { Job, JobProgress } from './job.js';
import type { BatchOutcome } from './messages.js';

/**
 * How the command shows what happens. One implementation per output mode: live bars on a terminal
 * (progress-bar.ts), plain lines otherwise or with `--quiet` (plain-progress.ts), JSON lines with
 * `--json` (json-events.ts). Failures reach stderr in every mode.
 */
export interface Reporter {
  /** An event from core for `job`. */
  event(job: Job, event: DownloadEvent): void;
  /** `job` finished: the file is complete and verified. */
  succeeded(job: Job, result: DownloadResult, elapsedMs: number): void;
  /** `job` failed with `progress` on disk; `error` has already been classified to `exitCode`. */
  failed(job: Job, error: unknown, exitCode: number, progress: JobProgress | undefined): void;
  /** `job` was stopped by Ctrl-C or SIGTERM with `progress` on disk. */
  interrupted(job: Job, progress: JobProgress | undefined): void;
  /** A failure that concerns no single file (bad input, an adapter that cannot load). */
  error(error: unknown, exitCode: number): void;
  /** A warning for people (e.g. `--insecure`); shown even with `--quiet`. */
  warn(line: string): void;
  /** `--accept-new-host-key` trusted a new SFTP host and recorded its key; shown even with `--quiet`. */
  hostKeyAdded(added: HostKeyAdded): void;
  /** Every file of a run over several URLs has finished: what they came to. */
  batchFinished(outcome: BatchOutcome): void;
  /** Stops live output and writes what is left. */
  close(): void;
}

/** Where a reporter writes. Every string passes through `scrub` before it is written. */
export interface ReporterOutput {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Removes secrets from a line before it is written. */
  readonly scrub: (text: string) => string;
  /** Print stacks of failures (`--debug`). */
  readonly isDebug: boolean;
}

/** Which reporter to use. */
export type OutputMode = 'bars' | 'lines' | 'quiet' | 'json';

/** Bars on a terminal, plain lines when stderr is a pipe or file or TERM is dumb. */
export function chooseOutputMode(
  flags: { readonly isJson: boolean; readonly isQuiet: boolean },
  stderr: { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
): OutputMode {
  if (flags.isJson) return 'json';
  if (flags.isQuiet) return 'quiet';
  return stderr.isTTY === true && env.TERM !== 'dumb' ? 'bars' : 'lines';
}

/** The stack of `error` and of each cause, for `--debug`. */
export function debugDetails(error: unknown): string[] {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth += 1) {
    lines.push(current instanceof Error ? (current.stack ?? current.message) : String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current !== undefined) lines.push('Caused by:');
  }
  return lines;
}
