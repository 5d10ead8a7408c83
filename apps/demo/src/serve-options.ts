import type { Command } from 'commander';
import { valueParser } from './args.js';
import { parseInteger } from './option-values.js';

/** Options of `reget serve`, as commander hands them over. */
export interface ServeFlags {
  /** Cut connections part-way at random (`--flaky`). */
  readonly flaky?: boolean;
  /** Seed of the random cuts, printed so a run can be replayed (`--seed`). */
  readonly seed?: number;
  /** First of four consecutive ports (`--port`): HTTP, FTP, FTPS, SFTP. */
  readonly port?: number;
  /** Folder that keeps the password, host key and certificate across runs (`--state`). */
  readonly state?: string;
}

/** What `reget serve --help` adds after its options. */
export const serveHelpAfterOptions = `
Files are served from disk, at any size, and read at each request: a file changed, replaced or
added while serve runs is served in its new version (size, ETag, MDTM and SFTP mtime included).
Dot files, links and special files are not served. Without --state, every run makes up a new
password, SSH host key and FTPS certificate.
`;

/** Declares the options of `reget serve` on `command`. */
export function addServeOptions(command: Command): Command {
  return command
    .option('--flaky', 'cut connections after a random number of bytes now and then, to watch reget resume')
    .option('--seed <n>', 'seed for --flaky, to replay the same cut sizes', valueParser(seed))
    .option(
      '--port <n>',
      'listen on fixed ports: HTTP on <n>, FTP on <n>+1, FTPS on <n>+2, SFTP on <n>+3 (default: any free ports)',
      valueParser(basePort),
    )
    .option(
      '--state <dir>',
      'keep the password, SSH host key and FTPS certificate in <dir>, so they stay the same across restarts',
    )
    .addHelpText('after', serveHelpAfterOptions);
}

function basePort(text: string): number {
  return parseInteger(text, 1, 65_535 - 3);
}

function seed(text: string): number {
  return parseInteger(text, 0, 2 ** 32 - 1);
}
