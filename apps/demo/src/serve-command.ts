import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ErrorCode, RegetError } from '@reget/core';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { Interrupt } from './interrupt.js';
import type { Io } from './io.js';
import { describeFailure } from './messages.js';
import { renderServeBanner } from './serve-banner.js';
import { listServedFolder } from './serve-files.js';
import { startFlakyFaults } from './serve-flaky.js';
import type { ServeFlags } from './serve-options.js';
import { startServeServers } from './serve-servers.js';
import { certificatePath, loadServeIdentity } from './serve-state.js';

/**
 * `reget serve <dir>`: serves the files of a folder over HTTP, FTP, explicit FTPS and SFTP on
 * 127.0.0.1 (testkit's servers; ephemeral ports, or four from `--port`), optionally cutting
 * connections at random (`--flaky`), and prints on stdout the URLs, the login, the `--ca` and
 * `--host-key` options to use. Runs until Ctrl-C or SIGTERM, then stops the servers and exits 0.
 * The files are read from disk at each request, so a file changed, added or removed while serving is
 * seen by the next download; only the banner's list is made at start. With `--state`, the
 * login, host key and certificate are kept in that folder and reused by the next run.
 */
export async function runServeCommand(directory: string, flags: ServeFlags, io: Io): Promise<number> {
  const interrupt = new Interrupt();
  interrupt.install();
  const orphanWatch = watchParent(interrupt, io);
  let temporaryDirectory: string | undefined;
  try {
    const folder = await listServedFolder(directory);
    const isPersistent = flags.state !== undefined;
    const stateDirectory = flags.state ?? (await mkdtemp(join(tmpdir(), 'reget-serve-')));
    if (!isPersistent) temporaryDirectory = stateDirectory;
    const identity = await loadServeIdentity(stateDirectory, isPersistent).catch((cause: unknown) => {
      const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
      throw new RegetError(
        ErrorCode.LOCAL_IO,
        `Cannot keep the state of reget serve in ${resolve(stateDirectory)} (${reason}).`,
        { cause },
      );
    });
    const servers = await startServeServers(directory, {
      identity,
      certificatePath: resolve(certificatePath(stateDirectory)),
      basePort: flags.port,
    }).catch((cause: unknown) => {
      throw portError(cause, flags.port);
    });
    const seed = flags.flaky ? (flags.seed ?? Math.floor(Math.random() * 2 ** 32)) : undefined;
    const largest = Math.max(0, ...folder.files.map((file) => file.size));
    const flaky =
      seed === undefined
        ? undefined
        : startFlakyFaults(
            servers.endpoints.map((endpoint) => endpoint.server),
            largest,
            seed,
          );
    try {
      const banner = renderServeBanner(servers, {
        directory: resolve(directory),
        folder,
        flakySeed: seed,
        pid: process.pid,
      });
      io.stdout.write(`${banner.join('\n')}\n`);
      if (!interrupt.isInterrupted) await once(interrupt.signal, 'abort');
    } finally {
      flaky?.stop();
      await servers.close();
    }
    io.stderr.write('reget serve: stopped.\n');
    return ExitCode.SUCCESS;
  } catch (error) {
    const code = exitCodeFor(error);
    io.stderr.write(`${describeFailure(undefined, error)}\n`);
    return code;
  } finally {
    clearInterval(orphanWatch);
    interrupt.uninstall();
    if (temporaryDirectory !== undefined) await rm(temporaryDirectory, { recursive: true, force: true });
  }
}

/**
 * Stops serving once npm, which started this one, is gone: `npx reget serve dir &` makes npm the
 * parent, and `kill $!` ends npm, not the server, which would go on holding its ports. Linux gives an
 * orphan a new parent (init or a subreaper), so a changed parent pid means it is gone.
 */
function watchParent(interrupt: Interrupt, io: Io): NodeJS.Timeout | undefined {
  // Only under npm (npx, npm run), whose exit leaves the server behind: a server started with
  // nohup, disown or `(cmd &)` is meant to outlive its shell.
  if (!io.env.npm_execpath) return undefined;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent || interrupt.isInterrupted) return;
    io.stderr.write('reget serve: npm, which started it, has ended.\n');
    interrupt.stop('npm, which started reget serve, has ended.');
  }, 500);
  timer.unref();
  return timer;
}

/** A port already in use is the user's to fix (another serve, another program): say which. */
function portError(cause: unknown, basePort: number | undefined): unknown {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'EADDRINUSE' && code !== 'EACCES') return cause;
  const port = (cause as { port?: unknown }).port;
  const which = typeof port === 'number' ? `Port ${port}` : 'A port';
  const range = basePort === undefined ? '' : ` (--port ${basePort} uses ${basePort} to ${basePort + 3})`;
  const reason = code === 'EADDRINUSE' ? 'is already in use' : 'may not be used';
  return new RegetError(
    ErrorCode.LOCAL_IO,
    `${which} on 127.0.0.1 ${reason}${range}; choose another --port.`,
    {
      cause,
    },
  );
}
