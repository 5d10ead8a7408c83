import type { Command } from 'commander';
import { valueParser } from './args.js';
import { parseInteger } from './option-values.js';

/** Options of `reget serve`, as commander hands them over. */
export interface ServeFlags {
  /** Cut connections part-way at random (`--flaky`). */
  readonly flaky?: boolean;
  /** Seed of the random cuts, printed so a run can be replayed (`--seed`). */
  readonly seed?: number;
}

/** Declares the options of `reget serve` on `command`. */
export function addServeOptions(command: Command): Command {
  return command
    .option('--flaky', 'cut connections after a random number of bytes now and then, to watch reget resume')
    .option('--seed <n>', 'seed for --flaky, to replay the same cut sizes', valueParser(seed));
}

function seed(text: string): number {
  return parseInteger(text, 0, 2 ** 32 - 1);
}
