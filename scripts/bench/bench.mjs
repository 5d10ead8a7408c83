// `npm run bench`: reget against curl, wget, aria2c, lftp, OpenSSH's sftp (plain, and followed by
// an fdatasync of its output, the flush reget does before its rename) and the library
// baselines, downloading the same files from nginx, vsftpd and sshd over loopback, and the
// throttled multi-connection scenario of issue 8 (throttled.mjs). Runs are interleaved
// (A B C A B C …) and reported as medians. Benchmarks measure; they assert nothing.
//
// Environment: REGET_BENCH_SIZE (default 1G; K, M, G suffixes), REGET_BENCH_ROUNDS (default 3),
// REGET_BENCH_PROTOCOLS (default http,ftp,sftp), REGET_BENCH_THROTTLED=0 (skip the throttled
// scenario), REGET_BENCH_THROTTLED_SIZE (default 256M), REGET_BENCH_THROTTLED_RATE (nginx's cap
// per connection, default 20M = 20 MiB/s), REGET_BENCH_ONLY=throttled (that scenario alone),
// REGET_BENCH_ONLY=fleet (the fleet scenario alone, fleet.mjs: REGET_BENCH_FLEET=0 skips it,
// REGET_BENCH_FLEET_SIZE default 64M, REGET_BENCH_FLEET_WORKERS default 1,2,4),
// REGET_BENCH_WARMUP=0 (no unmeasured round 0 of the large file, see downloadMatrix),
// REGET_BENCH_INSTALL=1 (apt-get install the missing tools first), REGET_BENCH_BUILD=0 (measure
// the build as it is, without `tsc -b`) and REGET_INTEROP_PORT_BASE (default 19000, so a running
// interop tier on 18000 is not disturbed).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fleetMatrix, fleetTable } from './fleet.mjs';
import {
  checksumMatrix,
  downloadMatrix,
  fullGcCounts,
  resumeMatrix,
  sha256File,
  startupTimes,
} from './matrices.mjs';
import { hasGnuTime } from './measure.mjs';
import { markdownReport, summarizeBaselines, summarizeDownloads, writeJson } from './report.mjs';
import { startServers, stopServers } from './servers.mjs';
import { summarizeThrottled, throttledMatrix, throttledTarget } from './throttled.mjs';
import { isInstalled, protocols, versionOf } from './tools.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const setting = (name, fallback) => process.env[name] || fallback;

function parseSize(name, fallback) {
  const text = setting(name, fallback);
  const match = /^(\d+)([KMG]?)$/i.exec(text.trim());
  if (!match) throw new Error(`${name} must look like 1G, 256M or 1048576, not "${text}".`);
  const power = { '': 0, K: 1, M: 2, G: 3 }[match[2].toUpperCase()];
  return Number(match[1]) * 1024 ** power;
}

const only = setting('REGET_BENCH_ONLY', '');
if (only !== '' && only !== 'throttled' && only !== 'fleet')
  throw new Error(
    `REGET_BENCH_ONLY can only be "throttled" or "fleet" (or unset for everything), not "${only}".`,
  );

const config = {
  only: only || null,
  sizeBytes: parseSize('REGET_BENCH_SIZE', '1G'),
  smallBytes: 64 * 1024 * 1024,
  rounds: Number(setting('REGET_BENCH_ROUNDS', '3')),
  protocols: setting('REGET_BENCH_PROTOCOLS', protocols.join(',')).split(','),
  startupRuns: 10,
  warmUp: setting('REGET_BENCH_WARMUP', '1') !== '0',
  fleet: {
    enabled: only === 'fleet' || (only === '' && setting('REGET_BENCH_FLEET', '1') !== '0'),
    sizeBytes: parseSize('REGET_BENCH_FLEET_SIZE', '64M'),
    workers: setting('REGET_BENCH_FLEET_WORKERS', '1,2,4').split(',').map(Number),
  },
  throttled: {
    enabled: only === 'throttled' || (only === '' && setting('REGET_BENCH_THROTTLED', '1') !== '0'),
    sizeBytes: parseSize('REGET_BENCH_THROTTLED_SIZE', '256M'),
    limitBytesPerSecond: parseSize('REGET_BENCH_THROTTLED_RATE', '20M'),
    target: throttledTarget,
  },
};
if (!Number.isSafeInteger(config.rounds) || config.rounds < 1)
  throw new Error('REGET_BENCH_ROUNDS must be ≥ 1.');
if (config.throttled.limitBytesPerSecond < 1) throw new Error('REGET_BENCH_THROTTLED_RATE must be ≥ 1.');

const log = (message) => process.stderr.write(`[bench] ${message}\n`);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: repo, ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}).`);
}

function installMissingTools() {
  const wanted = { curl: 'curl', wget: 'wget', aria2c: 'aria2', lftp: 'lftp', sftp: 'openssh-client' };
  const missing = Object.entries(wanted)
    .filter(([program]) => !isInstalled(program))
    .map(([, pkg]) => pkg);
  if (!hasGnuTime) missing.push('time');
  if (missing.length === 0) return;
  log(`installing ${missing.join(' ')} with apt-get`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function machineInfo() {
  const osRelease = spawnSync('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"'], { encoding: 'utf8' });
  const tools = {};
  for (const program of ['curl', 'wget', 'aria2c', 'lftp']) {
    if (isInstalled(program)) tools[program] = versionOf(program);
  }
  if (isInstalled('sftp')) tools.ssh = versionOf('ssh', ['-V']);
  tools.nginx = versionOf('/usr/sbin/nginx', ['-v']);
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus().length,
    memoryGiB: totalmem() / 1024 ** 3,
    os: osRelease.stdout.trim() || 'unknown OS',
    kernel: release(),
    node: process.version,
    tools,
  };
}

/** Writes `size` random bytes as `file` in the served folder; returns its path. */
function serveRandomFile(settings, file, size) {
  const path = join(settings.REGET_INTEROP_WWW, file);
  run('sh', ['-c', `head -c ${size} /dev/urandom > '${path}' && chmod 644 '${path}'`]);
  return path;
}

/** Every measurement but the throttled one: downloads, baselines, resume, checksum, start-up. */
async function measureEverything(settings, scratch) {
  const large = `bench-${config.sizeBytes}.bin`;
  const small = `bench-${config.smallBytes}.bin`;
  const largePath = serveRandomFile(settings, large, config.sizeBytes);
  const smallPath = serveRandomFile(settings, small, config.smallBytes);
  // Both written first: with REGET_BENCH_SIZE=64M they are one file. Reading them here also
  // puts them in the page cache for every tool alike.
  const largeSha256 = await sha256File(largePath);
  const smallSha256 = await sha256File(smallPath);
  const largeRuns = await downloadMatrix(
    config,
    settings,
    large,
    config.sizeBytes,
    largeSha256,
    scratch,
    config.warmUp,
  );
  const smallRuns = await downloadMatrix(config, settings, small, config.smallBytes, smallSha256, scratch);
  const resume = await resumeMatrix(config, settings, large, config.sizeBytes, scratch);
  const checksum = await checksumMatrix(config, settings, large, config.sizeBytes, largeSha256, scratch);
  const startup = await startupTimes(config, scratch);
  const fullGcs = await fullGcCounts(config, settings, large, scratch);
  const largeSummary = summarizeDownloads(largeRuns, config.sizeBytes);
  return {
    summary: {
      large: largeSummary,
      baselines: summarizeBaselines(largeSummary),
      small: summarizeDownloads(smallRuns, config.smallBytes),
      resume,
      checksum,
      startup,
      fullGcs,
    },
    runs: { large: largeRuns, small: smallRuns },
  };
}

/** The throttled scenario of issue 8 (throttled.mjs). */
async function measureThrottled(settings, scratch) {
  const { sizeBytes, limitBytesPerSecond } = config.throttled;
  // Its own file, so it can be sized apart from REGET_BENCH_SIZE.
  const file = `throttled-${sizeBytes}.bin`;
  const sha256 = await sha256File(serveRandomFile(settings, file, sizeBytes));
  const runs = await throttledMatrix(config, settings, file, sizeBytes, sha256, scratch);
  return { summary: summarizeThrottled(runs, sizeBytes, limitBytesPerSecond), runs };
}

/** The fleet scenario (fleet.mjs): N reget workers on one BullMQ queue, N = 1, 2, 4. */
async function measureFleet(settings, scratch) {
  const file = `fleet-${config.fleet.sizeBytes}.bin`;
  serveRandomFile(settings, file, config.fleet.sizeBytes);
  return fleetMatrix(config, settings, file, config.fleet.sizeBytes, scratch);
}

async function main() {
  if (setting('REGET_BENCH_INSTALL', '') === '1') installMissingTools();
  if (setting('REGET_BENCH_BUILD', '1') !== '0') {
    log('building (tsc -b)');
    run('npx', ['tsc', '-b', 'tsconfig.build.json']);
  }
  const work = mkdtempSync(join(tmpdir(), 'reget-bench-'));
  // nginx's and vsftpd's unprivileged users must reach the served folder inside it.
  chmodSync(work, 0o755);
  const serverDirectory = join(work, 'servers');
  const scratch = join(work, 'out');
  mkdirSync(serverDirectory);
  mkdirSync(scratch);
  const cleanup = () => {
    stopServers(serverDirectory);
    rmSync(work, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      cleanup();
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    });
  }
  try {
    const settings = startServers(
      serverDirectory,
      setting('REGET_INTEROP_PORT_BASE', '19000'),
      config.throttled.limitBytesPerSecond,
    );
    if (!hasGnuTime)
      log('GNU time (/usr/bin/time, apt package "time") is missing: no CPU or peak RSS figures');
    const everything = config.only === null ? await measureEverything(settings, scratch) : undefined;
    const throttled = config.throttled.enabled ? await measureThrottled(settings, scratch) : undefined;
    const fleet = config.fleet.enabled ? await measureFleet(settings, scratch) : undefined;
    const report = {
      date: new Date().toISOString(),
      machine: machineInfo(),
      config,
      ...everything?.summary,
      throttled: throttled?.summary,
      fleet,
      runs: { ...everything?.runs, throttled: throttled?.runs },
    };
    process.stdout.write(`${markdownReport(report)}\n`);
    if (fleet)
      process.stdout.write(
        `\n### Fleet (reget worker × N on BullMQ, nginx /throttled/)\n\n${fleetTable(fleet)}\n`,
      );
    log(`JSON written to ${writeJson(repo, report)}`);
  } finally {
    cleanup();
  }
}

await main();
