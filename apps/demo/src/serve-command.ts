import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { Interrupt } from './interrupt.js';
import type { Io } from './io.js';
import { describeFailure } from './messages.js';
import { renderServeBanner } from './serve-banner.js';
import { readServedFolder } from './serve-files.js';
import { startFlakyFaults } from './serve-flaky.js';
import type { ServeFlags } from './serve-options.js';
import { startServeServers } from './serve-servers.js';

/**
 * `reget serve <dir>`: serves the files of a folder over HTTP, FTP, explicit FTPS and SFTP on
 * 127.0.0.1 (testkit's servers, ephemeral ports), optionally cutting connections at random
 * (`--flaky`), and prints on stdout the URLs, the login, the `--ca` and `--host-key` options to
 * use. Runs until Ctrl-C or SIGTERM, then stops the servers and exits 0. The files are read once
 * at start: later changes in the folder are not seen.
 */
export async function runServeCommand(directory: string, flags: ServeFlags, io: Io): Promise<number> {
  const interrupt = new Interrupt();
  interrupt.install();
  let stateDirectory: string | undefined;
  try {
    const folder = await readServedFolder(directory);
    stateDirectory = await mkdtemp(join(tmpdir(), 'reget-serve-'));
    const servers = await startServeServers(folder.files, stateDirectory);
    const seed = flags.flaky ? (flags.seed ?? Math.floor(Math.random() * 2 ** 32)) : undefined;
    const largest = Math.max(0, ...folder.files.map((file) => file.content.length));
    const flaky =
      seed === undefined
        ? undefined
        : startFlakyFaults(
            servers.endpoints.map((endpoint) => endpoint.server),
            largest,
            seed,
          );
    try {
      const banner = renderServeBanner(servers, { directory: resolve(directory), folder, flakySeed: seed });
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
    interrupt.uninstall();
    if (stateDirectory !== undefined) await rm(stateDirectory, { recursive: true, force: true });
  }
}
