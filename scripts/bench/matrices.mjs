import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { copyFile, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure, median, runUntilSize } from './measure.mjs';
import { cliNodeFlags, regetCommand, resumeToolsFor, toolsFor } from './tools.mjs';

/** The measurements of `npm run bench`, each interleaved over rounds (see bench.mjs). */

const repo = fileURLToPath(new URL('../..', import.meta.url));
const log = (message) => process.stderr.write(`[bench] ${message}\n`);

/**
 * Flushes what earlier runs left dirty, so that no run pays for another's write-back (1 GiB
 * outputs written and deleted in a row otherwise make the timings drift).
 */
export function settle() {
  spawnSync('sync');
}

export async function sha256File(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk);
  return hash.digest('hex');
}

/** Removes a download's output and whatever partial or control files a tool leaves beside it. */
export async function removeOutput(out) {
  for (const suffix of ['', '.part', '.reget', '.aria2']) await rm(`${out}${suffix}`, { force: true });
}

/**
 * Interleaved rounds of every tool over every protocol for one served file. With `warmUp`, an
 * unmeasured round 0 goes first: the first download of a bench run was measured 1.6–2.3× slower
 * than the rest whatever the tool (always reget's, which runs first in every round), and no round
 * after it was.
 */
export async function downloadMatrix(config, settings, file, size, expectedSha256, scratch, warmUp = false) {
  const runs = [];
  for (let round = warmUp ? 0 : 1; round <= config.rounds; round++) {
    for (const protocol of config.protocols) {
      for (const tool of toolsFor(protocol, settings)) {
        const out = join(scratch, `out-${protocol}.bin`);
        await removeOutput(out);
        const [command, args] = tool.command(file, out);
        settle();
        const result = await measure(command, args, { scratch });
        let isCorrect = result.exitCode === 0 && statSize(out) === size;
        // One checksum per tool and protocol: proves the tool really fetched the file.
        if (isCorrect && round === 1) isCorrect = (await sha256File(out)) === expectedSha256;
        await removeOutput(out);
        log(
          `${file} round ${round === 0 ? 'warm-up' : round}/${config.rounds} ${protocol} ${tool.name}: ${result.wallSeconds.toFixed(2)} s` +
            (isCorrect ? '' : ` FAILED (exit ${result.exitCode}) ${result.stderr.trim().slice(0, 300)}`),
        );
        if (round > 0) runs.push({ protocol, tool: tool.name, round, isCorrect, ...withoutOutput(result) });
      }
    }
  }
  return runs;
}

function withoutOutput({ stdout: _stdout, stderr: _stderr, ...rest }) {
  return rest;
}

/** Size of a file, -1 when there is none. */
export function statSize(path) {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

/** Resume of a half-downloaded file: reget after a kill -9 at 50 %, curl -C - and sftp -a. */
export async function resumeMatrix(config, settings, file, size, scratch) {
  const runs = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const protocol of config.protocols) {
      const out = join(scratch, `resume-${protocol}.bin`);
      await removeOutput(out);
      const [command, args] = regetCommand(settings, protocol, file, out);
      const cut = await runUntilSize(command, args, { watch: `${out}.part`, killAtBytes: size / 2 });
      if (cut.wasKilled) {
        const onDiskBefore = statSize(`${out}.part`);
        const [again, againArgs] = regetCommand(settings, protocol, file, out, ['--json']);
        const result = await measure(again, againArgs, { scratch });
        const fetched = jsonResult(result.stdout)?.fetchedBytes ?? null;
        const isCorrect = result.exitCode === 0 && statSize(out) === size;
        runs.push({
          protocol,
          tool: 'reget',
          round,
          onDiskBefore,
          fetchedBytes: fetched,
          isCorrect,
          ...withoutOutput(result),
        });
      }
      for (const tool of resumeToolsFor(protocol, settings)) {
        await removeOutput(out);
        await copyFile(join(settings.REGET_INTEROP_WWW, file), out);
        await truncate(out, size / 2);
        const [toolCommand, toolArgs] = tool.command(file, out);
        const result = await measure(toolCommand, toolArgs, { scratch });
        const isCorrect = result.exitCode === 0 && statSize(out) === size;
        const fetchedBytes = tool.fetchedBytes(result.stdout);
        runs.push({
          protocol,
          tool: tool.name,
          round,
          onDiskBefore: size / 2,
          fetchedBytes,
          isCorrect,
          ...withoutOutput(result),
        });
      }
      await removeOutput(out);
      log(`resume round ${round}/${config.rounds} ${protocol} done`);
    }
  }
  return summarizeBy(
    runs,
    (run) => `${run.protocol}\u0000${run.tool}`,
    (group) => ({
      protocol: group[0].protocol,
      tool: group[0].tool,
      onDiskBefore: median(group.map((run) => run.onDiskBefore)),
      fetchedBytes: median(group.map((run) => run.fetchedBytes)),
      wallSeconds: median(group.filter((run) => run.isCorrect).map((run) => run.wallSeconds)),
      cpuSeconds: median(group.filter((run) => run.isCorrect).map((run) => run.cpuSeconds)),
      failedRuns: group.filter((run) => !run.isCorrect).length,
    }),
  );
}

function jsonResult(stdout) {
  for (const line of stdout.split('\n')) {
    try {
      const event = JSON.parse(line);
      if (event.type === 'result') return event;
    } catch {
      // Not a JSON line.
    }
  }
  return undefined;
}

function summarizeBy(runs, keyOf, summarize) {
  const groups = new Map();
  for (const run of runs) {
    const key = keyOf(run);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(run);
  }
  return [...groups.values()].map(summarize);
}

/** reget with and without `--checksum sha256:…`, interleaved. */
export async function checksumMatrix(config, settings, file, size, expectedSha256, scratch) {
  const runs = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const protocol of config.protocols) {
      for (const withChecksum of [false, true]) {
        const out = join(scratch, `checksum-${protocol}.bin`);
        await removeOutput(out);
        const extra = withChecksum ? ['--checksum', `sha256:${expectedSha256}`] : [];
        const [command, args] = regetCommand(settings, protocol, file, out, extra);
        settle();
        const result = await measure(command, args, { scratch });
        const isCorrect = result.exitCode === 0 && statSize(out) === size;
        await removeOutput(out);
        runs.push({
          protocol,
          withChecksum,
          isCorrect,
          wallSeconds: result.wallSeconds,
          cpuSeconds: result.cpuSeconds,
        });
      }
    }
    log(`checksum round ${round}/${config.rounds} done`);
  }
  return config.protocols.map((protocol) => {
    const values = (withChecksum, key) =>
      runs
        .filter((run) => run.protocol === protocol && run.withChecksum === withChecksum && run.isCorrect)
        .map((run) => run[key])
        .filter((value) => value !== null);
    const wall = (withChecksum) => median(values(withChecksum, 'wallSeconds'));
    const cpu = (withChecksum) => median(values(withChecksum, 'cpuSeconds'));
    // Every round's ratio, so the spread between rounds shows beside the medians.
    const without = runs.filter((run) => run.protocol === protocol && !run.withChecksum);
    const costs = runs
      .filter((run) => run.protocol === protocol && run.withChecksum)
      .map((run, index) =>
        run.isCorrect && without[index]?.isCorrect ? run.wallSeconds / without[index].wallSeconds - 1 : null,
      )
      .filter((cost) => cost !== null);
    return {
      protocol,
      withoutSeconds: wall(false),
      withSeconds: wall(true),
      withoutCpuSeconds: cpu(false),
      withCpuSeconds: cpu(true),
      roundCosts: costs,
    };
  });
}

export async function startupTimes(config, scratch) {
  const commands = [
    {
      command: 'reget --version',
      program: process.execPath,
      args: [join(repo, 'apps/demo/bin/reget.js'), '--version'],
    },
    { command: "node -e ''", program: process.execPath, args: ['-e', ''] },
  ];
  const times = new Map(commands.map((entry) => [entry.command, []]));
  for (let index = 0; index < config.startupRuns; index++) {
    for (const entry of commands) {
      const result = await measure(entry.program, entry.args, { scratch });
      times.get(entry.command).push(result.wallSeconds * 1000);
    }
  }
  return commands.map((entry) => ({ command: entry.command, medianMs: median(times.get(entry.command)) }));
}

/**
 * Full garbage collections (V8 Mark-Compact, from `--trace-gc`) during one reget download of
 * `file` per protocol. Not a timing: a count that stays near zero unless the process's heap
 * crosses V8's marking threshold, which on Node 20 cost the HTTP path ~40-65 full GCs per GiB
 * (the command's --initial-old-space-size keeps it under).
 */
export async function fullGcCounts(config, settings, file, scratch) {
  const rows = [];
  for (const protocol of config.protocols) {
    const out = join(scratch, `gc-${protocol}.bin`);
    await removeOutput(out);
    const [cli, args] = regetCommand(settings, protocol, file, out);
    // Node itself, with the command's own flags, so --trace-gc can be added.
    const nodeArgs = [...cliNodeFlags, '--trace-gc', cli, ...args];
    const result = spawnSync(process.execPath, nodeArgs, { encoding: 'utf8', maxBuffer: 1 << 26 });
    const fullGcs = (result.stdout.match(/Mark-Compact/g) ?? []).length;
    rows.push({ protocol, fullGcs, exitCode: result.status });
    log(`full GCs, reget ${protocol}: ${fullGcs}`);
    await removeOutput(out);
  }
  return rows;
}
