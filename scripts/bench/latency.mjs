import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { removeOutput, settle, sha256File, statSize } from './matrices.mjs';
import { measure, median } from './measure.mjs';
import { isInstalled, locations, regetCli, regetCommand } from './tools.mjs';

/**
 * Far servers: the same sshd and nginx, reached through delay-proxy.mjs, which holds every chunk
 * `delayMs` in each direction (25 ms: a 50 ms round trip). Three rows, each against the peers:
 * SFTP, one 64 MiB file over one connection (reget, reget -c 4, OpenSSH's sftp); HTTP, one 16 KiB
 * file (reget, curl, wget); HTTP, 40 files of 16 KiB with 8 at once (reget -j 8, aria2c -j 8).
 * Interleaved over rounds; every output is checked (size, and sha256 in round 1).
 */

const delayProxy = fileURLToPath(new URL('./delay-proxy.mjs', import.meta.url));
const log = (message) => process.stderr.write(`[bench] ${message}\n`);

export const latencyFiles = { large: 64 * 1024 * 1024, small: 16 * 1024, count: 40, jobs: 8 };

/** Starts delay-proxy.mjs in a child process (so nothing the bench does delays it); resolves { port, stop }. */
async function startProxy(targetPort, delayMs) {
  const child = spawn(process.execPath, [delayProxy, String(targetPort), String(delayMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const [line] = await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`delay-proxy.mjs exited (${code}) before listening.`);
    }),
  ]);
  const port = Number(/^listening (\d+)$/.exec(line)?.[1]);
  if (!Number.isInteger(port)) throw new Error(`delay-proxy.mjs said "${line}".`);
  return {
    port,
    stop: () => {
      child.kill();
    },
  };
}

/** The tools of each row, as [program, args] for an output path (a folder for the many-files row). */
function latencyRows(settings, far, files) {
  const where = locations(settings);
  const farSettings = {
    ...settings,
    REGET_INTEROP_SFTP_URL: `sftp://${settings.REGET_INTEROP_SFTP_USER}@127.0.0.1:${far.sftpPort}`,
    REGET_INTEROP_HTTP_URL: `http://127.0.0.1:${far.httpPort}`,
  };
  const httpUrl = (file) => `${farSettings.REGET_INTEROP_HTTP_URL}/${file}`;
  const sftp = (out) => [
    'sftp',
    [
      '-q',
      ...where.sshOptions,
      // known_hosts names the server by its own port; the proxy listens on another.
      '-o',
      `HostKeyAlias=[127.0.0.1]:${settings.REGET_INTEROP_SFTP_PORT}`,
      '-P',
      String(far.sftpPort),
      `${settings.REGET_INTEROP_SFTP_USER}@127.0.0.1:${where.path(files.large)}`,
      out,
    ],
  ];
  const rows = [
    {
      scenario: 'sftp-64M',
      label: 'SFTP, 64 MiB, one connection',
      reference: 'sftp (OpenSSH)',
      kind: 'file',
      file: files.large,
      size: latencyFiles.large,
      tools: [
        { name: 'reget', command: (out) => regetCommand(farSettings, 'sftp', files.large, out) },
        {
          name: 'reget -c 4',
          command: (out) => regetCommand(farSettings, 'sftp', files.large, out, ['-c', '4']),
        },
        { name: 'sftp (OpenSSH)', program: 'sftp', command: sftp },
      ],
    },
    {
      scenario: 'http-16K',
      label: 'HTTP, one 16 KiB file',
      reference: 'curl',
      kind: 'file',
      file: files.small,
      size: latencyFiles.small,
      tools: [
        { name: 'reget', command: (out) => regetCommand(farSettings, 'http', files.small, out) },
        {
          name: 'curl',
          program: 'curl',
          command: (out) => ['curl', ['-sS', '-o', out, httpUrl(files.small)]],
        },
        {
          name: 'wget',
          program: 'wget',
          command: (out) => ['wget', ['-q', '-O', out, httpUrl(files.small)]],
        },
      ],
    },
    {
      scenario: 'http-40x16K',
      label: `HTTP, ${latencyFiles.count} files of 16 KiB, ${latencyFiles.jobs} at once`,
      reference: `aria2c -j ${latencyFiles.jobs}`,
      kind: 'many',
      files: files.many,
      size: latencyFiles.small,
      tools: [
        {
          name: `reget -j ${latencyFiles.jobs}`,
          command: (folder, list) => [
            regetCli,
            ['-q', '-j', String(latencyFiles.jobs), '-d', folder, '-i', list],
          ],
        },
        {
          name: `aria2c -j ${latencyFiles.jobs}`,
          program: 'aria2c',
          command: (folder, list) => [
            'aria2c',
            [
              '-q',
              '-j',
              String(latencyFiles.jobs),
              '--allow-overwrite=true',
              '--auto-file-renaming=false',
              '-d',
              folder,
              '-i',
              list,
            ],
          ],
        },
      ],
    },
  ];
  for (const row of rows) {
    row.tools = row.tools.filter((tool) => !tool.program || isInstalled(tool.program));
    const names = row.tools.map((tool) => tool.name);
    if (!names.includes(row.reference)) log(`${row.reference} is not installed: no ratio for ${row.label}`);
  }
  return { rows, urlList: files.many.map(httpUrl).join('\n') };
}

/**
 * Interleaved rounds of every latency row. `files` names the served files: `large` (64 MiB),
 * `small` (16 KiB) and `many` (40 × 16 KiB); `hashes` maps each name to its sha256.
 */
export async function latencyMatrix(config, settings, files, hashes, scratch) {
  const { delayMs } = config.latency;
  const sshProxy = await startProxy(settings.REGET_INTEROP_SFTP_PORT, delayMs);
  const httpProxy = await startProxy(new URL(settings.REGET_INTEROP_HTTP_URL).port, delayMs);
  try {
    const { rows, urlList } = latencyRows(
      settings,
      { sftpPort: sshProxy.port, httpPort: httpProxy.port },
      files,
    );
    const list = join(scratch, 'latency-urls.txt');
    writeFileSync(list, `${urlList}\n`);
    const runs = [];
    for (let round = 1; round <= config.rounds; round++) {
      for (const row of rows) {
        for (const tool of row.tools) {
          const result = await measureOne(row, tool, list, scratch, round === 1, hashes);
          log(
            `latency round ${round}/${config.rounds} ${row.scenario} ${tool.name}: ${result.wallSeconds.toFixed(2)} s` +
              (result.isCorrect
                ? ''
                : ` FAILED (exit ${result.exitCode}) ${result.stderr.trim().slice(0, 300)}`),
          );
          runs.push({
            scenario: row.scenario,
            tool: tool.name,
            round,
            isCorrect: result.isCorrect,
            exitCode: result.exitCode,
            wallSeconds: result.wallSeconds,
            cpuSeconds: result.cpuSeconds,
            peakRssKiB: result.peakRssKiB,
          });
        }
      }
    }
    return { rows: rows.map(({ scenario, label, reference }) => ({ scenario, label, reference })), runs };
  } finally {
    sshProxy.stop();
    httpProxy.stop();
  }
}

/** One download of a row by a tool, checked: its size (every round) and sha256 (when `hash`). */
async function measureOne(row, tool, list, scratch, hash, hashes) {
  if (row.kind === 'file') {
    const out = join(scratch, 'latency.bin');
    await removeOutput(out);
    const [program, args] = tool.command(out);
    settle();
    const result = await measure(program, args, { scratch });
    let isCorrect = result.exitCode === 0 && statSize(out) === row.size;
    if (isCorrect && hash) isCorrect = (await sha256File(out)) === hashes[row.file];
    await removeOutput(out);
    return { ...result, isCorrect };
  }
  const folder = join(scratch, 'latency-many');
  await rm(folder, { recursive: true, force: true });
  mkdirSync(folder);
  const [program, args] = tool.command(folder, list);
  settle();
  const result = await measure(program, args, { scratch });
  const names = new Set(readdirSync(folder));
  let isCorrect =
    result.exitCode === 0 &&
    row.files.every((file) => names.has(file) && statSize(join(folder, file)) === row.size);
  if (isCorrect && hash) {
    for (const file of row.files) {
      if ((await sha256File(join(folder, file))) !== hashes[file]) isCorrect = false;
    }
  }
  await rm(folder, { recursive: true, force: true });
  return { ...result, isCorrect };
}

/** Medians per (row, tool), with the spread (fastest, slowest) and the ratio to the row's reference. */
export function summarizeLatency({ rows, runs }) {
  return rows.flatMap((row) => {
    const tools = [...new Set(runs.filter((run) => run.scenario === row.scenario).map((run) => run.tool))];
    const summaries = tools.map((tool) => {
      const group = runs.filter((run) => run.scenario === row.scenario && run.tool === tool);
      const ok = group.filter((run) => run.isCorrect);
      const walls = ok.map((run) => run.wallSeconds);
      return {
        scenario: row.scenario,
        label: row.label,
        tool,
        runs: group.length,
        failedRuns: group.length - ok.length,
        wallSeconds: median(walls),
        fastestSeconds: walls.length > 0 ? Math.min(...walls) : null,
        slowestSeconds: walls.length > 0 ? Math.max(...walls) : null,
        cpuSeconds: median(ok.map((run) => run.cpuSeconds)),
        peakRssMiB: median(ok.map((run) => (run.peakRssKiB === null ? null : run.peakRssKiB / 1024))),
        reference: row.reference,
      };
    });
    const reference = summaries.find((summary) => summary.tool === row.reference);
    for (const summary of summaries) {
      // Speed ratio, as in the other tables: above 1 is faster than the reference.
      summary.ratioToReference =
        reference?.wallSeconds && summary.wallSeconds ? reference.wallSeconds / summary.wallSeconds : null;
    }
    return summaries;
  });
}
