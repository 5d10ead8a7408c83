import { basename, dirname, join } from 'node:path';
import { removeOutput, settle, sha256File, statSize } from './matrices.mjs';
import { measure, median } from './measure.mjs';
import { isInstalled, regetCommand } from './tools.mjs';

/**
 * The throttled scenario of issue 8: nginx caps every request on /throttled/ at a fixed rate
 * (`limit_rate`), the way CDNs and mirrors cap each connection, so n connections on disjoint
 * ranges should fetch n times as fast. reget with 1, 4 and 8 connections, side by side with
 * `aria2c -x n -s n`, interleaved over rounds; every download's sha256 is checked.
 */

const mebibyte = 1024 * 1024;
const log = (message) => process.stderr.write(`[bench] ${message}\n`);

/** What issue 8 asks of reget with n = 4 and 8: at least this fraction of n × the limit. */
export const throttledTarget = 0.9;

/** The downloaders compared: reget with 1, 4 and 8 connections, aria2c with 4 and 8 (if installed). */
function throttledTools(settings, file) {
  const path = `throttled/${file}`;
  const url = `${settings.REGET_INTEROP_HTTP_URL}/${path}`;
  const reget = (connections) => ({
    tool: 'reget',
    connections,
    command: (out) => regetCommand(settings, 'http', path, out, ['--connections', String(connections)]),
  });
  const aria2c = (connections) => ({
    tool: 'aria2c',
    connections,
    command: (out) => [
      'aria2c',
      [
        '-q',
        `-x${connections}`,
        `-s${connections}`,
        '-k1M',
        '--allow-overwrite=true',
        '--auto-file-renaming=false',
        '-d',
        dirname(out),
        '-o',
        basename(out),
        url,
      ],
    ],
  });
  const hasAria2c = isInstalled('aria2c');
  if (!hasAria2c) log('aria2c is not installed: the throttled scenario measures reget alone');
  return [reget(1), reget(4), ...(hasAria2c ? [aria2c(4)] : []), reget(8), ...(hasAria2c ? [aria2c(8)] : [])];
}

/** Interleaved rounds of every throttled download of `file` (`size` bytes, served by nginx). */
export async function throttledMatrix(config, settings, file, size, expectedSha256, scratch) {
  const runs = [];
  const tools = throttledTools(settings, file);
  for (let round = 1; round <= config.rounds; round++) {
    for (const { tool, connections, command } of tools) {
      const out = join(scratch, 'throttled.bin');
      await removeOutput(out);
      const [program, args] = command(out);
      settle();
      const result = await measure(program, args, { scratch });
      const isComplete = result.exitCode === 0 && statSize(out) === size;
      // Every run, not only the first: several connections writing disjoint ranges is where a
      // downloader could leave a hole or a misplaced range behind.
      const isCorrect = isComplete && (await sha256File(out)) === expectedSha256;
      await removeOutput(out);
      log(
        `throttled round ${round}/${config.rounds} ${tool} ×${connections}: ${result.wallSeconds.toFixed(2)} s` +
          (isCorrect
            ? ''
            : ` FAILED (exit ${result.exitCode}${isComplete ? ', wrong sha256' : ''}) ${result.stderr.trim().slice(0, 300)}`),
      );
      runs.push({
        tool,
        connections,
        round,
        isCorrect,
        exitCode: result.exitCode,
        wallSeconds: result.wallSeconds,
        cpuSeconds: result.cpuSeconds,
        peakRssKiB: result.peakRssKiB,
      });
    }
  }
  return runs;
}

/**
 * Medians per (tool, connections): throughput, its ratio to n × the per-connection limit, and
 * reget's ratio to aria2c with as many connections.
 */
export function summarizeThrottled(runs, size, limitBytesPerSecond) {
  const groups = new Map();
  for (const run of runs) {
    const key = `${run.tool}\u0000${run.connections}`;
    if (!groups.has(key)) groups.set(key, { tool: run.tool, connections: run.connections, runs: [] });
    groups.get(key).runs.push(run);
  }
  const rows = [...groups.values()].map(({ tool, connections, runs: group }) => {
    const ok = group.filter((run) => run.isCorrect);
    const wallSeconds = median(ok.map((run) => run.wallSeconds));
    const bytesPerSecond = wallSeconds ? size / wallSeconds : null;
    const ratioToLimit =
      bytesPerSecond === null ? null : bytesPerSecond / (connections * limitBytesPerSecond);
    return {
      tool,
      connections,
      runs: group.length,
      failedRuns: group.length - ok.length,
      wallSeconds,
      mebibytesPerSecond: bytesPerSecond === null ? null : bytesPerSecond / mebibyte,
      ratioToLimit,
      meetsTarget: ratioToLimit === null ? null : ratioToLimit >= throttledTarget,
      cpuSeconds: median(ok.map((run) => run.cpuSeconds)),
      peakRssMiB: median(ok.map((run) => (run.peakRssKiB === null ? null : run.peakRssKiB / 1024))),
    };
  });
  for (const row of rows) {
    const aria2c = rows.find((other) => other.tool === 'aria2c' && other.connections === row.connections);
    row.ratioToAria2c =
      row.tool === 'reget' && aria2c?.mebibytesPerSecond && row.mebibytesPerSecond
        ? row.mebibytesPerSecond / aria2c.mebibytesPerSecond
        : null;
  }
  return rows;
}
