import { basename, dirname, join } from 'node:path';
import { removeOutput, settle, sha256File, statSize } from './matrices.mjs';
import { measure, median } from './measure.mjs';
import { cli, isInstalled } from './tools.mjs';

/**
 * The mirrors scenario: nginx serves one file as three mirrors, each on its own port and allowing
 * one connection at a time (`limit_conn`): A and B at the per-connection rate of the throttled
 * scenario, the third at 1 MiB/s. reget with `--mirror` against `aria2c` given the same URIs, with
 * two mirrors and then with the slow one added; every download's sha256 is checked.
 */

const mebibyte = 1024 * 1024;
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
    command: (out) => [
      'aria2c',
      [
        '-q',
        '-x1',
        `-s${urls.length}`,
        '-k1M',
        '--allow-overwrite=true',
        '--auto-file-renaming=false',
        '-d',
        dirname(out),
        '-o',
        basename(out),
        ...urls,
      ],
    ],
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
export async function mirrorsMatrix(config, settings, file, size, expectedSha256, scratch) {
  const runs = [];
  const tools = mirrorsTools(settings, file);
  for (let round = 1; round <= config.rounds; round++) {
    for (const { tool, label, command } of tools) {
      const out = join(scratch, 'mirrors.bin');
      await removeOutput(out);
      const [program, args] = command(out);
      settle();
      const result = await measure(program, args, { scratch });
      const isComplete = result.exitCode === 0 && statSize(out) === size;
      const isCorrect = isComplete && (await sha256File(out)) === expectedSha256;
      await removeOutput(out);
      log(
        `mirrors round ${round}/${config.rounds} ${tool} (${label}): ${result.wallSeconds.toFixed(2)} s` +
          (isCorrect
            ? ''
            : ` FAILED (exit ${result.exitCode}${isComplete ? ', wrong sha256' : ''}) ${result.stderr.trim().slice(0, 300)}`),
      );
      runs.push({
        tool,
        label,
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

/** Medians per (tool, scenario): throughput and its ratio to the two fast mirrors' combined rate. */
export function summarizeMirrors(runs, size, limitBytesPerSecond) {
  const groups = new Map();
  for (const run of runs) {
    const key = `${run.tool}\u0000${run.label}`;
    if (!groups.has(key)) groups.set(key, { tool: run.tool, label: run.label, runs: [] });
    groups.get(key).runs.push(run);
  }
  const rows = [...groups.values()].map(({ tool, label, runs: group }) => {
    const ok = group.filter((run) => run.isCorrect);
    const wallSeconds = median(ok.map((run) => run.wallSeconds));
    const bytesPerSecond = wallSeconds ? size / wallSeconds : null;
    const ratioToLimit = bytesPerSecond === null ? null : bytesPerSecond / (2 * limitBytesPerSecond);
    return {
      tool,
      label,
      runs: group.length,
      failedRuns: group.length - ok.length,
      wallSeconds,
      mebibytesPerSecond: bytesPerSecond === null ? null : bytesPerSecond / mebibyte,
      ratioToLimit,
      meetsTarget: ratioToLimit === null ? null : ratioToLimit >= mirrorsTarget,
      cpuSeconds: median(ok.map((run) => run.cpuSeconds)),
    };
  });
  for (const row of rows) {
    const aria2c = rows.find((other) => other.tool === 'aria2c' && other.label === row.label);
    row.ratioToAria2c =
      row.tool === 'reget' && aria2c?.mebibytesPerSecond && row.mebibytesPerSecond
        ? row.mebibytesPerSecond / aria2c.mebibytesPerSecond
        : null;
  }
  return rows;
}
