import { interleavedRuns, summarizeRuns } from './interleaved.mjs';
import { aria2cCommand, isInstalled, regetCommand } from './tools.mjs';

/**
 * The throttled scenario of issue 8: nginx caps every request on /throttled/ at a fixed rate
 * (`limit_rate`), the way CDNs and mirrors cap each connection, so n connections on disjoint
 * ranges should fetch n times as fast. reget with 1, 4 and 8 connections, side by side with
 * `aria2c -x n -s n`, interleaved over rounds; every download's sha256 is checked.
 */

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
    command: (out) => aria2cCommand(out, [url], [`-x${connections}`, `-s${connections}`, '-k1M']),
  });
  const hasAria2c = isInstalled('aria2c');
  if (!hasAria2c) log('aria2c is not installed: the throttled scenario measures reget alone');
  return [reget(1), reget(4), ...(hasAria2c ? [aria2c(4)] : []), reget(8), ...(hasAria2c ? [aria2c(8)] : [])];
}

/** Interleaved rounds of every throttled download of `file` (`size` bytes, served by nginx). */
export function throttledMatrix(config, settings, file, size, expectedSha256, scratch) {
  const tools = throttledTools(settings, file).map((entry) => ({
    ...entry,
    key: entry.connections,
    label: `×${entry.connections}`,
  }));
  return interleavedRuns(config, tools, { scenario: 'throttled', size, expectedSha256, scratch });
}

/**
 * Medians per (tool, connections): throughput, its ratio to n × the per-connection limit, and
 * reget's ratio to aria2c with as many connections.
 */
export function summarizeThrottled(runs, size, limitBytesPerSecond) {
  return summarizeRuns(runs, size, (row) => {
    const ratioToLimit =
      row.bytesPerSecond === null ? null : row.bytesPerSecond / (row.key * limitBytesPerSecond);
    return {
      connections: row.key,
      ratioToLimit,
      meetsTarget: ratioToLimit === null ? null : ratioToLimit >= throttledTarget,
    };
  });
}
