import { interleavedRuns, summarizeRuns } from './interleaved.mjs';
import { aria2cCommand, cli, isInstalled } from './tools.mjs';

/**
 * The mirrors scenario: nginx serves one file as three mirrors, each on its own port and allowing
 * one connection at a time (`limit_conn`): A and B at the per-connection rate of the throttled
 * scenario, the third at 1 MiB/s. reget with `--mirror` against `aria2c` given the same URIs, with
 * two mirrors and then with the slow one added; every download's sha256 is checked.
 */

const log = (message) => process.stderr.write(`[bench] ${message}\n`);

/** What is asked of reget: at least this fraction of the two fast mirrors' combined rate. */
export const mirrorsTarget = 0.9;

function mirrorsTools(settings, file) {
  const a = `${settings.REGET_INTEROP_MIRROR_A_URL}/${file}`;
  const b = `${settings.REGET_INTEROP_MIRROR_B_URL}/${file}`;
  const slow = `${settings.REGET_INTEROP_MIRROR_SLOW_URL}/${file}`;
  const reget = (label, urls) => ({
    tool: 'reget',
    label,
    command: (out) => [cli, [urls[0], ...urls.slice(1).flatMap((url) => ['--mirror', url]), '-o', out, '-q']],
  });
  const aria2c = (label, urls) => ({
    tool: 'aria2c',
    label,
    // One connection per server (-x1), split in as many parts as there are mirrors (-s).
    command: (out) => aria2cCommand(out, urls, ['-x1', `-s${urls.length}`, '-k1M']),
  });
  const hasAria2c = isInstalled('aria2c');
  if (!hasAria2c) log('aria2c is not installed: the mirrors scenario measures reget alone');
  const two = [a, b];
  const three = [a, b, slow];
  return [
    reget('2 mirrors', two),
    ...(hasAria2c ? [aria2c('2 mirrors', two)] : []),
    reget('2 mirrors + 1 slow', three),
    ...(hasAria2c ? [aria2c('2 mirrors + 1 slow', three)] : []),
  ];
}

/** Interleaved rounds of every mirrors download of `file` (`size` bytes). */
export function mirrorsMatrix(config, settings, file, size, expectedSha256, scratch) {
  const tools = mirrorsTools(settings, file).map((entry) => ({ ...entry, key: entry.label }));
  return interleavedRuns(config, tools, { scenario: 'mirrors', size, expectedSha256, scratch });
}

/** Medians per (tool, scenario): throughput and its ratio to the two fast mirrors' combined rate. */
export function summarizeMirrors(runs, size, limitBytesPerSecond) {
  return summarizeRuns(runs, size, (row) => {
    const ratioToLimit = row.bytesPerSecond === null ? null : row.bytesPerSecond / (2 * limitBytesPerSecond);
    return { ratioToLimit, meetsTarget: ratioToLimit === null ? null : ratioToLimit >= mirrorsTarget };
  });
}
