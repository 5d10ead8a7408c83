import { ErrorCode, RegetError } from '@reget/core';
import type { Command } from 'commander';
import { valueParser } from './args.js';
import { escapeControl } from './messages.js';
import { parseRate } from './option-values.js';

/** Options of `reget demo`, as commander hands them over. */
export interface DemoFlags {
  /** Size of the demo file in bytes (`--size`). */
  readonly size: number;
  /** Cap on each download, bytes per second (`--limit-rate`). */
  readonly limitRate: number;
  /** Keep the temporary directory and say where it is (`--keep`). */
  readonly keep?: boolean;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

/** 24 MiB: big enough that the cuts, resumes and bars are visible, small enough to stay quick. */
export const defaultDemoSize = 24 * 1024 ** 2;

/**
 * 8 MiB/s: at the default size each protocol takes about four seconds, so the whole demo runs in
 * 10–20 s and the progress can be watched rather than blinking past.
 */
export const defaultDemoRate = 8 * 1024 ** 2;

// Below this the cut at 30% would fall inside the 64 KiB verification overlap. The servers hold
// both versions in memory (the HTTP one also copies them to disk, with gzip copies): hence a cap.
const minimumSize = 256 * 1024;
const maximumSize = 128 * 1024 ** 2;

/** Declares the options of `reget demo` on `command`. */
export function addDemoOptions(command: Command): Command {
  return command
    .option('--size <size>', 'size of the demo file, K/M/G suffixes (default: 24M)', valueParser(parseSize))
    .option(
      '--limit-rate <rate>',
      'cap each download at <rate> bytes/s, K/M/G suffixes (default: 8M)',
      valueParser(parseRate),
    )
    .option('--keep', 'keep the downloaded files and print where they are')
    .option('--json', 'print one JSON object per event on standard output, then a summary object')
    .option('-q, --quiet', 'print only the final table');
}

/** Fills in the defaults commander leaves undefined. */
export function withDemoDefaults(flags: Partial<DemoFlags>): DemoFlags {
  return { ...flags, size: flags.size ?? defaultDemoSize, limitRate: flags.limitRate ?? defaultDemoRate };
}

/** Parses `--size`: a number of bytes with an optional binary K, M or G suffix, 256K to 128M. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match?.[2]?.toLowerCase() ?? ''];
  const bytes = match?.[1] && unit !== undefined ? Math.floor(Number(match[1]) * unit) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < minimumSize || bytes > maximumSize) {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `"${escapeControl(text)}" is not a demo size: use 256K to 128M (bytes, with an optional K, M or G suffix).`,
    );
  }
  return bytes;
}
