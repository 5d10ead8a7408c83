import { join } from 'node:path';
import { removeOutput, settle, sha256File, statSize } from './matrices.mjs';
import { measure, median } from './measure.mjs';

const log = (message) => process.stderr.write(`[bench] ${message}\n`);

/**
 * Interleaved rounds (A B C A B C …) of `tools`, each `{ tool, key, label, command(out) }`, every
 * download of `size` bytes checked against `expectedSha256`. Returns one run per tool and round.
 */
export async function interleavedRuns(config, tools, { scenario, size, expectedSha256, scratch }) {
  const runs = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const { tool, key, label, command } of tools) {
      const out = join(scratch, `${scenario}.bin`);
      await removeOutput(out);
      const [program, args] = command(out);
      settle();
      const result = await measure(program, args, { scratch });
      const isComplete = result.exitCode === 0 && statSize(out) === size;
      // Every run, not only the first: several connections or sources writing disjoint ranges is
      // where a downloader could leave a hole or a misplaced range behind.
      const isCorrect = isComplete && (await sha256File(out)) === expectedSha256;
      await removeOutput(out);
      log(
        `${scenario} round ${round}/${config.rounds} ${tool} (${label}): ${result.wallSeconds.toFixed(2)} s` +
          (isCorrect
            ? ''
            : ` FAILED (exit ${result.exitCode}${isComplete ? ', wrong sha256' : ''}) ${result.stderr.trim().slice(0, 300)}`),
      );
      runs.push({
        tool,
        key,
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

/**
 * Medians per (tool, key): wall time, throughput, CPU and peak RSS of the correct runs, and
 * reget's ratio to aria2c on the same key. `extra(row)` adds scenario-specific columns.
 */
export function summarizeRuns(runs, size, extra) {
  const groups = new Map();
  for (const run of runs) {
    const id = `${run.tool}\u0000${run.key}`;
    if (!groups.has(id)) groups.set(id, { tool: run.tool, key: run.key, label: run.label, runs: [] });
    groups.get(id).runs.push(run);
  }
  const rows = [...groups.values()].map(({ tool, key, label, runs: group }) => {
    const ok = group.filter((run) => run.isCorrect);
    const wallSeconds = median(ok.map((run) => run.wallSeconds));
    const bytesPerSecond = wallSeconds ? size / wallSeconds : null;
    const row = {
      tool,
      key,
      label,
      runs: group.length,
      failedRuns: group.length - ok.length,
      wallSeconds,
      bytesPerSecond,
      mebibytesPerSecond: bytesPerSecond === null ? null : bytesPerSecond / (1024 * 1024),
      cpuSeconds: median(ok.map((run) => run.cpuSeconds)),
      peakRssMiB: median(ok.map((run) => (run.peakRssKiB === null ? null : run.peakRssKiB / 1024))),
    };
    return { ...row, ...extra(row) };
  });
  for (const row of rows) {
    const aria2c = rows.find((other) => other.tool === 'aria2c' && other.key === row.key);
    row.ratioToAria2c =
      row.tool === 'reget' && aria2c?.mebibytesPerSecond && row.mebibytesPerSecond
        ? row.mebibytesPerSecond / aria2c.mebibytesPerSecond
        : null;
  }
  return rows;
}
