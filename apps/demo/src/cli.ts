import { Command, CommanderError } from 'commander';
import { addDownloadOptions, type DownloadFlags } from './args.js';
import { addDemoOptions, type DemoFlags } from './demo-options.js';
import { ExitCode } from './exit-codes.js';
import {
  addDashboardOptions,
  addEnqueueOptions,
  addStatusOptions,
  addWorkerOptions,
  type DashboardFlags,
  type EnqueueFlags,
  type StatusFlags,
  type WorkerFlags,
} from './fleet-options.js';
import { helpAfterOptions } from './help.js';
import { type Io, processIo } from './io.js';
import { addServeOptions, type ServeFlags } from './serve-options.js';
import { readVersion } from './version.js';

/**
 * The `reget` command line: `reget [options] <url>...` downloads; `reget demo` and `reget serve`
 * are subcommands. Each command's module is imported only when it runs, so a download never loads
 * the demo's servers and `--help` loads no adapter at all.
 */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const version = readVersion();
  let exitCode: number = ExitCode.SUCCESS;
  const program = new Command('reget')
    .description(
      'Resume interrupted downloads over HTTP(S), FTP(S) and SFTP, and never hand back a corrupt file.',
    )
    .usage('[options] <url...>\n       reget demo | serve <dir> | enqueue | worker | status | dashboard')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    // `reget demo --json`: options after a subcommand's name are the subcommand's, not the download's.
    .enablePositionalOptions()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`${usageErrorLine(text)}\n`),
    })
    .addHelpText('after', helpAfterOptions);

  addDownloadOptions(program)
    .argument('[url...]', 'http://, https://, ftp://, ftps://, ftpes:// or sftp:// URLs')
    .action(async (urls: string[], flags: DownloadFlags) => {
      const { runDownloadCommand } = await import('./download-command.js');
      exitCode = await runDownloadCommand(urls, flags, io, `reget/${version}`);
    });

  addDemoOptions(
    program
      .command('demo')
      .description('download over HTTP, FTP and SFTP from local servers that fail on purpose, and verify'),
  ).action(async (flags: Partial<DemoFlags>) => {
    const { runDemoCommand } = await import('./demo-command.js');
    exitCode = await runDemoCommand(flags, io);
  });

  addServeOptions(
    program
      .command('serve')
      .description('serve <dir> over HTTP, FTP, FTPS and SFTP on 127.0.0.1, printing URLs and credentials')
      .argument('<dir>', 'the folder to serve'),
  ).action(async (directory: string, flags: ServeFlags) => {
    const { runServeCommand } = await import('./serve-command.js');
    exitCode = await runServeCommand(directory, flags, io);
  });

  addEnqueueOptions(
    program
      .command('enqueue')
      .description('add downloads to a BullMQ queue on Redis, for `reget worker`s to run')
      .argument('[url...]', 'URLs, without passwords (the workers hold them)'),
  ).action(async (urls: string[], flags: EnqueueFlags) => {
    const { runEnqueueCommand } = await import('./fleet-command.js');
    exitCode = await runEnqueueCommand(urls, flags, io);
  });
  addWorkerOptions(
    program.command('worker').description('run the downloads of a BullMQ queue into a root directory'),
  ).action(async (flags: WorkerFlags) => {
    const { runWorkerCommand } = await import('./fleet-command.js');
    exitCode = await runWorkerCommand(flags, io, `reget/${version}`);
  });
  addStatusOptions(
    program.command('status').description("show a queue's counts and each running download's progress"),
  ).action(async (flags: StatusFlags) => {
    const { runStatusCommand } = await import('./fleet-command.js');
    exitCode = await runStatusCommand(flags, io);
  });

  addDashboardOptions(
    program.command('dashboard').description('show a queue in a browser (bull-board), on 127.0.0.1'),
  ).action(async (flags: DashboardFlags) => {
    const { runDashboardCommand } = await import('./fleet-dashboard.js');
    exitCode = await runDashboardCommand(flags, io);
  });

  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.SUCCESS : ExitCode.USAGE;
    }
    throw error;
  }
  return exitCode;
}

/**
 * commander's error as one line, prefixed like every other failure: its "(Did you mean …?)" joins
 * the line, and a mistyped option or a missing argument points to `--help`.
 */
export function usageErrorLine(text: string): string {
  const line = text
    .replace(/^error: /, '')
    // commander's "option '-c, --connections <n>' argument '0' is invalid. <reason>" → "--connections: <reason>".
    .replace(/^option '(?:-\w, )?(-[\w-]+)[^']*' argument '.*' is invalid\. (.)(.)/s, optionReason)
    .replace(/\s*\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')
    .trim();
  const pointsToHelp = /^(unknown option|unknown command|too many arguments|missing required argument)/.test(
    line,
  );
  return `reget: ${line}${pointsToHelp ? '; see reget --help.' : ''}`;
}

/** `--name: reason`, the reason's first word lower-cased unless it is an acronym (`SFTP`). */
function optionReason(_: string, name: string, first: string, second: string): string {
  const isWord = second === ' ' || second.toLowerCase() === second;
  return `${name}: ${isWord ? first.toLowerCase() : first}${second}`;
}

/**
 * Runs {@link main} on the real process and exits with its code once stdout and stderr are flushed,
 * so no open socket or timer left behind can keep the process alive. Used by `bin/reget.js`.
 */
export async function runAndExit(): Promise<never> {
  let code: number;
  try {
    code = await main(process.argv);
  } catch (error) {
    // main classifies every failure; reaching here is a bug, so say it plainly in one line.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`reget: unexpected error: ${message}\n`);
    if (process.argv.includes('--debug') && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    code = ExitCode.INTERNAL;
  }
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableLength === 0) resolve();
    else stream.write('', () => resolve());
  });
}
