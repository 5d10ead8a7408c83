import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** GNU time, for CPU seconds and peak RSS of a child (apt package `time`). */
const gnuTime = '/usr/bin/time';
export const hasGnuTime = existsSync(gnuTime);

/**
 * Runs a command to completion and measures it: wall seconds (measured here), user + system CPU
 * seconds and peak RSS in KiB (from GNU time when installed, otherwise null).
 */
export async function measure(command, args, { scratch, timeoutMs = 900_000 }) {
  const timeFile = join(scratch, `time-${Math.random().toString(36).slice(2)}.txt`);
  const [program, programArgs] = hasGnuTime
    ? [gnuTime, ['-f', '%e %U %S %M', '-o', timeFile, '--', command, ...args]]
    : [command, args];
  // Write back every dirty page first: otherwise a run pays for the previous run's writeback
  // (measured: the same 1 GiB FTP pair swung between 0.74x and 1.1x without this).
  spawnSync('sync');
  const started = performance.now();
  const { exitCode, stdout, stderr } = await run(program, programArgs, { timeoutMs });
  const wallSeconds = (performance.now() - started) / 1000;
  const usage = hasGnuTime ? await readUsage(timeFile) : undefined;
  return {
    exitCode,
    wallSeconds,
    cpuSeconds: usage ? usage.cpuSeconds : null,
    peakRssKiB: usage ? usage.peakRssKiB : null,
    stdout,
    stderr,
  };
}

/** Runs a command and SIGKILLs it once the file `watch` holds `killAtBytes` bytes. */
export function runUntilSize(command, args, { watch, killAtBytes, timeoutMs = 900_000 }) {
  return run(command, args, { timeoutMs, watch, killAtBytes });
}

function run(command, args, { timeoutMs, watch, killAtBytes }) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text) => {
    stderr += text;
  });
  let wasKilled = false;
  const watcher =
    watch === undefined
      ? undefined
      : setInterval(() => {
          if (!wasKilled && sizeNow(watch) >= killAtBytes) wasKilled = child.kill('SIGKILL');
        }, 1);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearInterval(watcher);
      clearTimeout(timer);
      resolve({ exitCode, wasKilled: wasKilled && signal === 'SIGKILL', stdout, stderr });
    });
  });
}

async function readUsage(timeFile) {
  try {
    const text = await readFile(timeFile, 'utf8');
    // GNU time prints "Command exited with non-zero status N" first when the command failed.
    const fields = text.trim().split('\n').at(-1).split(' ').map(Number);
    if (fields.length !== 4 || fields.some(Number.isNaN)) return undefined;
    const [, user, system, peakRssKiB] = fields;
    return { cpuSeconds: user + system, peakRssKiB };
  } catch {
    return undefined;
  } finally {
    await rm(timeFile, { force: true });
  }
}

/** Size of a file now, 0 when there is none. */
export function sizeNow(path) {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The median of numbers (null entries ignored); null for none. */
export function median(values) {
  const sorted = values.filter((value) => value !== null && value !== undefined).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
