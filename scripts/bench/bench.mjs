// `npm run bench`: reget against curl, wget, aria2c, lftp, OpenSSH's sftp (plain, and followed by
// an fdatasync of its output, the flush reget does before its rename) and the library
// baselines, downloading the same files from nginx, vsftpd and sshd over loopback, and the
// throttled multi-connection scenario of issue 8 (throttled.mjs). Runs are interleaved
// (A B C A B C …) and reported as medians. Benchmarks measure; they assert nothing.
//
// Environment: REGET_BENCH_SIZE (default 1G; K, M, G suffixes), REGET_BENCH_ROUNDS (default 3),
// REGET_BENCH_PROTOCOLS (default http,ftp,sftp), REGET_BENCH_THROTTLED=0 (skip the throttled
// scenario), REGET_BENCH_THROTTLED_SIZE (default 256M), REGET_BENCH_THROTTLED_RATE (nginx's cap
// per connection, default 20M = 20 MiB/s), REGET_BENCH_MIRRORS=0 (skip the mirrors scenario,
// mirrors.mjs, which uses the throttled size and rate), REGET_BENCH_LATENCY=0 (skip the
// far-server scenario, latency.mjs), REGET_BENCH_LATENCY_MS (its delay each way, default 25 = a
// 50 ms round trip), REGET_BENCH_ONLY=throttled, mirrors, many, latency, checksum or fleet (that scenario alone),
// fleet.mjs: REGET_BENCH_FLEET=0 skips it, REGET_BENCH_FLEET_SIZE default 64M,
// REGET_BENCH_FLEET_WORKERS default 1,2,4),
// REGET_BENCH_WARMUP=0 (no unmeasured round 0 of the large file, see downloadMatrix),
// REGET_BENCH_INSTALL=1 (apt-get install the missing tools first), REGET_BENCH_BUILD=0 (measure
// the build as it is, without `tsc -b`) and REGET_INTEROP_PORT_BASE (default 19000, so a running
// interop tier on 18000 is not disturbed). Many small files (many-files.mjs): REGET_BENCH_MANY=0
// skips it, REGET_BENCH_MANY_FILES (default 2000) sets the file count, REGET_BENCH_ONLY=many runs
// it alone.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fleetMatrix, fleetTable } from './fleet.mjs';
import { latencyFiles, latencyMatrix, summarizeLatency } from './latency.mjs';
import { manyFilesMatrix, manyFilesTable, serveManyFiles, summarizeManyFiles } from './many-files.mjs';
import {
  checksumMatrix,
  downloadMatrix,
  fullGcCounts,
  resumeMatrix,
  sha256File,
  startupTimes,
} from './matrices.mjs';
import { hasGnuTime } from './measure.mjs';
import { mirrorsMatrix, summarizeMirrors } from './mirrors.mjs';
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
const scenarios = ['throttled', 'mirrors', 'many', 'latency', 'checksum', 'fleet'];
if (only !== '' && !scenarios.includes(only))
  throw new Error(
    `REGET_BENCH_ONLY can only be one of ${scenarios.join(', ')} (or unset for everything), not "${only}".`,
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
  // One file from nginx mirrors allowing one connection each (mirrors.mjs); sized and capped as above.
  mirrors: {
    enabled: only === 'mirrors' || (only === '' && setting('REGET_BENCH_MIRRORS', '1') !== '0'),
  },
  many: {
    enabled: only === 'many' || (only === '' && setting('REGET_BENCH_MANY', '1') !== '0'),
    files: Number(setting('REGET_BENCH_MANY_FILES', '2000')),
  },
  latency: {
    enabled: only === 'latency' || (only === '' && setting('REGET_BENCH_LATENCY', '1') !== '0'),
    delayMs: Number(setting('REGET_BENCH_LATENCY_MS', '25')),
  },
};
if (!Number.isSafeInteger(config.many.files) || config.many.files < 2)
  throw new Error('REGET_BENCH_MANY_FILES must be ≥ 2.');
if (!Number.isSafeInteger(config.rounds) || config.rounds < 1)
  throw new Error('REGET_BENCH_ROUNDS must be ≥ 1.');
if (config.throttled.limitBytesPerSecond < 1) throw new Error('REGET_BENCH_THROTTLED_RATE must be ≥ 1.');
if (!Number.isFinite(config.latency.delayMs) || config.latency.delayMs < 0)
  throw new Error('REGET_BENCH_LATENCY_MS must be a number of milliseconds ≥ 0.');

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

/** Many small files and one large one from each server (many-files.mjs). */
async function measureManyFiles(settings, scratch) {
  const served = await serveManyFiles(settings, config.many.files);
  const runs = await manyFilesMatrix(config, settings, served, scratch);
  return { summary: summarizeManyFiles(runs, config.many.files), runs };
}

/** `--checksum` on against off alone (REGET_BENCH_ONLY=checksum). */
async function measureChecksum(settings, scratch) {
  const large = `bench-${config.sizeBytes}.bin`;
  const largeSha256 = await sha256File(serveRandomFile(settings, large, config.sizeBytes));
  const checksum = await checksumMatrix(config, settings, large, config.sizeBytes, largeSha256, scratch);
  return { summary: { checksum }, runs: {} };
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

/** The mirrors scenario (mirrors.mjs), on the throttled scenario's file size and rate. */
async function measureMirrors(settings, scratch) {
  const { sizeBytes, limitBytesPerSecond } = config.throttled;
  const file = `mirrored-${sizeBytes}.bin`;
  const sha256 = await sha256File(serveRandomFile(settings, file, sizeBytes));
  const runs = await mirrorsMatrix(config, settings, file, sizeBytes, sha256, scratch);
  return { summary: summarizeMirrors(runs, sizeBytes, limitBytesPerSecond), runs };
}

/** The far-server scenario (latency.mjs): its own files, fetched through the delay proxy. */
async function measureLatency(settings, scratch) {
  const files = {
    large: 'latency-64M.bin',
    small: 'latency-16K.bin',
    many: Array.from({ length: latencyFiles.count }, (_, index) => `latency-16K-${index + 1}.bin`),
  };
  const hashes = {};
  hashes[files.large] = await sha256File(serveRandomFile(settings, files.large, latencyFiles.large));
  for (const file of [files.small, ...files.many]) {
    hashes[file] = await sha256File(serveRandomFile(settings, file, latencyFiles.small));
  }
  const measured = await latencyMatrix(config, settings, files, hashes, scratch);
  return { summary: summarizeLatency(measured), runs: measured.runs };
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
    const everything =
      config.only === null
        ? await measureEverything(settings, scratch)
        : config.only === 'checksum'
          ? await measureChecksum(settings, scratch)
          : undefined;
    const throttled = config.throttled.enabled ? await measureThrottled(settings, scratch) : undefined;
    const mirrors = config.mirrors.enabled ? await measureMirrors(settings, scratch) : undefined;
    const many = config.many.enabled ? await measureManyFiles(settings, scratch) : undefined;
    const latency = config.latency.enabled ? await measureLatency(settings, scratch) : undefined;
    const fleet = config.fleet.enabled ? await measureFleet(settings, scratch) : undefined;
    const report = {
      date: new Date().toISOString(),
      machine: machineInfo(),
      config,
      ...everything?.summary,
      throttled: throttled?.summary,
      mirrors: mirrors?.summary,
      manyFiles: many?.summary,
      latency: latency?.summary,
      fleet,
      runs: {
        ...everything?.runs,
        throttled: throttled?.runs,
        mirrors: mirrors?.runs,
        manyFiles: many?.runs,
        latency: latency?.runs,
      },
    };
    process.stdout.write(`${markdownReport(report)}\n`);
    if (many) process.stdout.write(`\n${manyFilesTable(many.summary, config.many.files)}\n`);
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
