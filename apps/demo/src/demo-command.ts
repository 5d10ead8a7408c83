import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redactUrl } from '@reget/core';
import { makeContent, sha256 } from '@reget/testkit';
import { describeDemoStart, describeKept } from './demo-messages.js';
import { runMirrorsScene } from './demo-mirrors.js';
import { type DemoFlags, withDemoDefaults } from './demo-options.js';
import { type DemoRow, type DemoVersions, runScenario } from './demo-scenario.js';
import { closeDemoServers, type DemoServer, startDemoServers } from './demo-servers.js';
import { describeVerdict, renderDemoTable } from './demo-table.js';
import { createReporter } from './download-command.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { Interrupt } from './interrupt.js';
import type { Io } from './io.js';
import type { Job } from './job.js';
import type { Reporter, ReporterOutput } from './reporter.js';
import { SecretScrubber } from './secrets.js';

const demoPath = '/demo.bin';

/**
 * `reget demo`: starts testkit's HTTP, FTP and SFTP servers on 127.0.0.1, and for each protocol
 * downloads a generated file while the server cuts connections and replaces the file once (see
 * {@link runScenario}), then one file from all three at once with a mirror serving bad bytes (see
 * {@link runMirrorsScene}), through the same progress display as a download. Ends with a table; exits
 * 0 when every download matched the server's file by sha256, 8 otherwise, 130 on Ctrl-C. Needs no
 * network; the files go to a temporary directory removed at the end unless `--keep`.
 */
export async function runDemoCommand(rawFlags: Partial<DemoFlags>, io: Io): Promise<number> {
  const flags = withDemoDefaults(rawFlags);
  const scrubber = new SecretScrubber();
  const output: ReporterOutput = {
    stdout: io.stdout,
    stderr: io.stderr,
    scrub: (text) => scrubber.scrub(text),
    isDebug: false,
  };
  const reporter = await createReporter(output, flags, io);
  const narrate = flags.quiet ? () => {} : (line: string) => reporter.warn(line);
  const interrupt = new Interrupt(() => reporter.close());
  interrupt.install();
  const directory = await mkdtemp(join(tmpdir(), 'reget-demo-'));
  let servers: DemoServer[] = [];
  try {
    const versions = makeVersions(flags.size);
    servers = await startDemoServers();
    for (const line of describeDemoStart(flags.size, flags.limitRate, protocolsOf(servers))) narrate(line);
    const rows: DemoRow[] = [];
    for (const [index, entry] of servers.entries()) {
      if (interrupt.isInterrupted) break;
      if (entry.server === undefined) {
        reporter.warn(`reget demo: the ${entry.protocol} server could not start: ${messageOf(entry.error)}`);
        rows.push({
          protocol: entry.protocol,
          size: flags.size,
          sentBytes: 0,
          resumes: 0,
          restarts: 0,
          isVerified: false,
        });
        continue;
      }
      const job = demoJob(index, entry.protocol, entry.server.url(demoPath), directory);
      scrubber.addUrl(job.url);
      rows.push(
        await runScenario({
          protocol: entry.protocol,
          server: entry.server,
          path: demoPath,
          job,
          versions,
          cutAfterBytes: Math.floor(flags.size * 0.3),
          limitRateBytesPerSecond: flags.limitRate,
          reporter,
          narrate,
          signal: interrupt.signal,
        }),
      );
    }
    const [http, ftp, sftp] = servers.map((entry) => entry.server);
    if (!interrupt.isInterrupted && http && ftp && sftp) {
      rows.push(
        await runMirrorsScene({
          http,
          ftp,
          sftp,
          versions,
          directory,
          index: servers.length,
          limitRateBytesPerSecond: flags.limitRate,
          reporter,
          narrate,
          scrub: (url) => scrubber.addUrl(url),
          signal: interrupt.signal,
        }),
      );
    }
    if (interrupt.isInterrupted) return interrupted(reporter);
    reporter.close();
    printSummary(rows, flags, output);
    return rows.every((row) => row.isVerified) ? ExitCode.SUCCESS : ExitCode.INTEGRITY;
  } catch (error) {
    if (interrupt.isInterrupted) return interrupted(reporter);
    const code = exitCodeFor(error);
    reporter.error(error, code);
    return code;
  } finally {
    reporter.close();
    interrupt.uninstall();
    await closeDemoServers(servers);
    if (flags.keep) io.stderr.write(`${describeKept(directory)}\n`);
    else await rm(directory, { recursive: true, force: true });
  }
}

function makeVersions(size: number): DemoVersions {
  const second = makeContent(size, 2);
  return { first: makeContent(size, 1), second, secondSha256: sha256(second) };
}

function demoJob(index: number, protocol: string, url: string, directory: string): Job {
  const parsed = new URL(url);
  return {
    index,
    url: parsed,
    displayUrl: redactUrl(parsed),
    destination: join(directory, `demo-${protocol.toLowerCase()}.bin`),
    label: protocol,
  };
}

/** The table on stderr (for people, even with `--quiet`), and with `--json` a summary object on stdout. */
function printSummary(rows: readonly DemoRow[], flags: DemoFlags, output: ReporterOutput): void {
  const lines = ['', ...renderDemoTable(rows), '', describeVerdict(rows)];
  output.stderr.write(`${lines.map((line) => output.scrub(line)).join('\n')}\n`);
  if (flags.json) {
    const summary = { time: new Date().toISOString(), type: 'summary', rows };
    output.stdout.write(`${JSON.stringify(summary)}\n`);
  }
}

function interrupted(reporter: Reporter): number {
  reporter.close();
  reporter.warn('reget demo: interrupted; stopping the servers.');
  return ExitCode.INTERRUPTED;
}

function protocolsOf(servers: readonly DemoServer[]): string[] {
  return servers.map((entry) => entry.protocol);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
