import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sha256File } from './matrices.mjs';
import { measure, median } from './measure.mjs';
import { isInstalled, locations, regetCli } from './tools.mjs';

/**
 * Many small files from one server: `count` files of 16 KiB plus one of 64 MiB among them, eight
 * at a time, with reget (`-j 8 -i`), aria2c (`-i … -j 8`) and wget (`-i`, one at a time) over
 * nginx, and lftp (`mirror --parallel=8`) over vsftpd and sshd, interleaved over rounds. What it
 * shows is the cost of a connection and a login per file: files per second, and the connections
 * each tool opened, counted in the servers' logs (nginx's `$connection`, vsftpd's CONNECT lines,
 * sshd's "Accepted" lines). Every run's files are checked: count, sizes, and the large file's sha256.
 */

const log = (message) => process.stderr.write(`[bench] ${message}\n`);
const smallBytes = 16 * 1024;
const largeBytes = 64 * 1024 * 1024;
export const manyFilesDirectory = 'many';

/**
 * Writes the files under `<www>/many/`; returns their names (the large one in the middle of the
 * list, the order the list-driven tools take them in), the large one's name and its sha256.
 */
export async function serveManyFiles(settings, count) {
  const directory = join(settings.REGET_INTEROP_WWW, manyFilesDirectory);
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { mode: 0o755 });
  // One random stream cut into files: far quicker than a process per file.
  run('sh', [
    '-c',
    `cd '${directory}' && head -c ${smallBytes * (count - 1)} /dev/urandom | ` +
      `split -a 5 -d -b ${smallBytes} --additional-suffix=.bin - small- && ` +
      `head -c ${largeBytes} /dev/urandom > large.bin && chmod 644 *.bin`,
  ]);
  const small = readdirSync(directory)
    .filter((name) => name.startsWith('small-'))
    .sort();
  const middle = Math.floor(small.length / 2);
  const names = [...small.slice(0, middle), 'large.bin', ...small.slice(middle)];
  return { names, large: 'large.bin', largeSha256: await sha256File(join(directory, 'large.bin')) };
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}).`);
}

/** The downloaders compared, per protocol; each writes every file into `out`. */
function manyFilesTools(settings, names, scratch) {
  const where = locations(settings);
  const urls = (protocol) => names.map((name) => where.url[protocol](`${manyFilesDirectory}/${name}`));
  const listFile = (protocol) => {
    const path = join(scratch, `many-${protocol}.txt`);
    writeFileSync(path, `${urls(protocol).join('\n')}\n`);
    return path;
  };
  // reget flushes every file to the device before its rename; --no-sync (scratch downloads)
  // leaves that to the kernel, as the peers do: both rows show what the flush costs per file.
  const reget = (protocol, extra = []) => ({
    tool: ['reget -j 8', ...extra].join(' '),
    protocol,
    command: (out) => [
      regetCli,
      [
        '-j',
        '8',
        '-q',
        ...extra,
        '-d',
        out,
        '-i',
        listFile(protocol),
        ...(protocol === 'sftp' ? where.sftpFlags : []),
      ],
    ],
  });
  const port = settings.REGET_INTEROP_SFTP_PORT;
  const user = settings.REGET_INTEROP_SFTP_USER;
  const lftp = (protocol) => ({
    tool: 'lftp mirror --parallel=8',
    protocol,
    program: 'lftp',
    command: (out) => {
      const connect =
        protocol === 'sftp'
          ? `set sftp:connect-program "ssh -a -x ${where.sshOptions.join(' ')}"; open sftp://${user}:@127.0.0.1:${port}; `
          : `open ${settings.REGET_INTEROP_FTP_URL}; `;
      const source = protocol === 'sftp' ? where.path(manyFilesDirectory) : manyFilesDirectory;
      return ['lftp', ['-c', `set xfer:clobber on; ${connect}mirror --parallel=8 ${source} ${out}`]];
    },
  });
  const all = [
    reget('http'),
    reget('http', ['--no-sync']),
    {
      tool: 'aria2c -j 8',
      protocol: 'http',
      program: 'aria2c',
      command: (out) => [
        'aria2c',
        [
          '-q',
          '-j8',
          '--allow-overwrite=true',
          '--auto-file-renaming=false',
          '-d',
          out,
          '-i',
          listFile('http'),
        ],
      ],
    },
    {
      tool: 'wget -i',
      protocol: 'http',
      program: 'wget',
      command: (out) => ['wget', ['-q', '-nd', '-P', out, '-i', listFile('http')]],
    },
    reget('ftp'),
    reget('ftp', ['--no-sync']),
    lftp('ftp'),
    reget('sftp'),
    reget('sftp', ['--no-sync']),
    lftp('sftp'),
  ];
  return all.filter((entry) => entry.program === undefined || isInstalled(entry.program));
}

/** Where each protocol's server logs one line per connection, and how to count them. */
function connectionCounters(settings) {
  const logs = dirname(settings.REGET_INTEROP_NGINX_LOG);
  return {
    // nginx: the `$connection` serial ends each access log line (format `reget` in nginx.conf).
    http: {
      file: settings.REGET_INTEROP_NGINX_LOG,
      count: (text) =>
        new Set(
          text
            .split('\n')
            .filter(Boolean)
            .map((line) => line.split(' ').at(-1)),
        ).size,
    },
    ftp: {
      file: settings.REGET_INTEROP_VSFTPD_LOG,
      count: (text) => text.split('\n').filter((line) => line.includes('CONNECT: Client')).length,
    },
    // sshd runs with -e: its log is its stderr, one "Accepted publickey" per login.
    sftp: {
      file: join(logs, 'sshd.out'),
      count: (text) => text.split('\n').filter((line) => line.includes('Accepted ')).length,
    },
  };
}

function sizeOf(path) {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readFrom(path, offset) {
  try {
    return readFileSync(path).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

/** Every file there, each the right size, and the large one byte-exact. */
async function isEveryFileRight(out, served) {
  const found = readdirSync(out).filter((name) => !name.endsWith('.part') && !name.endsWith('.reget'));
  if (found.length !== served.names.length) return false;
  for (const name of served.names) {
    if (sizeOf(join(out, name)) !== (name === served.large ? largeBytes : smallBytes)) return false;
  }
  return (await sha256File(join(out, served.large))) === served.largeSha256;
}

/** Interleaved rounds of every many-files download. */
export async function manyFilesMatrix(config, settings, served, scratch) {
  const tools = manyFilesTools(settings, served.names, scratch);
  const counters = connectionCounters(settings);
  const runs = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const { tool, protocol, command } of tools) {
      const out = join(scratch, 'many-out');
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out);
      const [program, args] = command(out);
      const counter = counters[protocol];
      const logStart = sizeOf(counter.file);
      const result = await measure(program, args, { scratch });
      const connections = counter.count(readFrom(counter.file, logStart));
      const isCorrect = result.exitCode === 0 && (await isEveryFileRight(out, served));
      rmSync(out, { recursive: true, force: true });
      const filesPerSecond = served.names.length / result.wallSeconds;
      log(
        `many files round ${round}/${config.rounds} ${protocol} ${tool}: ${result.wallSeconds.toFixed(2)} s, ` +
          `${filesPerSecond.toFixed(0)} files/s, ${connections} connections` +
          (isCorrect ? '' : ` FAILED (exit ${result.exitCode}) ${result.stderr.trim().slice(0, 300)}`),
      );
      runs.push({
        tool,
        protocol,
        round,
        isCorrect,
        exitCode: result.exitCode,
        wallSeconds: result.wallSeconds,
        connections,
        cpuSeconds: result.cpuSeconds,
        peakRssKiB: result.peakRssKiB,
      });
    }
  }
  return runs;
}

/** Medians per (protocol, tool): files per second, connections, CPU, and reget's ratio to each peer. */
export function summarizeManyFiles(runs, fileCount) {
  const groups = new Map();
  for (const run of runs) {
    const key = `${run.protocol}\u0000${run.tool}`;
    if (!groups.has(key)) groups.set(key, { protocol: run.protocol, tool: run.tool, runs: [] });
    groups.get(key).runs.push(run);
  }
  const rows = [...groups.values()].map(({ protocol, tool, runs: group }) => {
    const ok = group.filter((run) => run.isCorrect);
    const wallSeconds = median(ok.map((run) => run.wallSeconds));
    return {
      protocol,
      tool,
      runs: group.length,
      failedRuns: group.length - ok.length,
      wallSeconds,
      filesPerSecond: wallSeconds ? fileCount / wallSeconds : null,
      connections: median(ok.map((run) => run.connections)),
      cpuSeconds: median(ok.map((run) => run.cpuSeconds)),
      peakRssMiB: median(ok.map((run) => (run.peakRssKiB === null ? null : run.peakRssKiB / 1024))),
    };
  });
  for (const row of rows) {
    const reget = rows.find((other) => other.protocol === row.protocol && other.tool === 'reget -j 8');
    row.regetRatio =
      reget?.filesPerSecond && row.filesPerSecond ? reget.filesPerSecond / row.filesPerSecond : null;
  }
  return rows;
}

/** The markdown table of {@link summarizeManyFiles}. */
export function manyFilesTable(rows, fileCount) {
  const number = (value, digits = 0) => (value === null || value === undefined ? '–' : value.toFixed(digits));
  const lines = [
    `### Many files: ${fileCount} × 16 KiB + one 64 MiB, 8 at a time`,
    '',
    '| protocol | tool | files/s | wall s | connections | reget ÷ this | CPU s | peak RSS MiB | failed runs |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (row) =>
        `| ${row.protocol} | ${row.tool} | ${number(row.filesPerSecond)} | ${number(row.wallSeconds, 2)} | ${number(row.connections)} | ${number(row.regetRatio, 2)} | ${number(row.cpuSeconds, 2)} | ${number(row.peakRssMiB)} | ${row.failedRuns} |`,
    ),
  ];
  return lines.join('\n');
}
