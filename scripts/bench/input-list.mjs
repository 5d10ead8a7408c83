// `reget -i` over a long list: peak RSS, time to the first finished download, and the whole run.
// Every URL points at port 1 of loopback, where nothing listens, so each download fails at once
// and the run measures the list's path (reading, planning, queueing, reporting), not a network.
// Needs no root and no server. Measures; asserts nothing.
//
//   node scripts/bench/input-list.mjs            # 100,000 lines
//   REGET_BENCH_LIST_LINES=10000 node scripts/bench/input-list.mjs
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const setting = (name, fallback) => process.env[name] || fallback;
const lineCount = Number(setting('REGET_BENCH_LIST_LINES', '100000'));
const jobs = setting('REGET_BENCH_LIST_JOBS', '8');
const work = mkdtempSync(join(tmpdir(), 'reget-list-'));
const out = join(work, 'out');
mkdirSync(out);
const list = join(work, 'list.txt');
let text = '';
for (let index = 0; index < lineCount; index++) text += `http://127.0.0.1:1/f${index}.bin\n`;
writeFileSync(list, text);

const gnuTime = '/usr/bin/time';
const timeFile = join(work, 'time.txt');
const reget = [
  process.execPath,
  '--initial-old-space-size=64',
  join(repo, 'apps/demo/bin/reget.js'),
  ...['-q', '--retries', '0', '-j', jobs, '-d', out, '-i', list],
];
const command = existsSync(gnuTime) ? [gnuTime, '-f', '%M %U %S', '-o', timeFile, ...reget] : reget;
const started = performance.now();
let firstLineMs;
let outputBytes = 0;
let failures = 0;
const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
child.stderr.setEncoding('utf8').on('data', (chunk) => {
  firstLineMs ??= performance.now() - started;
  outputBytes += Buffer.byteLength(chunk);
  failures += chunk.split('Cannot connect').length - 1;
});
const exitCode = await new Promise((resolve) => child.on('close', resolve));
const wallSeconds = (performance.now() - started) / 1000;
const [peakRssKiB, user, system] = existsSync(timeFile)
  ? readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number)
  : [Number.NaN, Number.NaN, Number.NaN];
rmSync(work, { recursive: true, force: true });
console.log(
  [
    `| lines | -j | exit | first download done (ms) | wall (s) | CPU (s) | peak RSS (MiB) | failures reported | stderr bytes per line |`,
    `| ----- | -- | ---- | ------------------------ | -------- | ------- | -------------- | ----------------- | --------------------- |`,
    `| ${lineCount} | ${jobs} | ${exitCode} | ${firstLineMs?.toFixed(0)} | ${wallSeconds.toFixed(1)} | ${(user + system).toFixed(1)} | ${(peakRssKiB / 1024).toFixed(0)} | ${failures} | ${(outputBytes / lineCount).toFixed(0)} |`,
  ].join('\n'),
);
