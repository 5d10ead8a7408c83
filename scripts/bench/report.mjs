import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median } from './measure.mjs';
import { durableBaseline, libraryBaseline, referenceFor } from './tools.mjs';

const mebibyte = 1024 * 1024;
const protocolLabel = { http: 'HTTP', ftp: 'FTP', sftp: 'SFTP' };

function fixed(value, digits = 2) {
  return value === null || value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
}

function sizeText(bytes) {
  const gibibytes = bytes / 1024 / mebibyte;
  return Number.isInteger(gibibytes) ? `${gibibytes} GiB` : `${fixed(bytes / mebibyte, 0)} MiB`;
}

function table(headers, rows) {
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/** Medians per (protocol, tool) of download runs of `size` bytes, with the ratio to the reference. */
export function summarizeDownloads(runs, size) {
  const groups = new Map();
  for (const run of runs) {
    const key = `${run.protocol}\u0000${run.tool}`;
    if (!groups.has(key)) groups.set(key, { protocol: run.protocol, tool: run.tool, runs: [] });
    groups.get(key).runs.push(run);
  }
  const rows = [...groups.values()].map((group) => {
    const ok = group.runs.filter((run) => run.isCorrect);
    const wallSeconds = median(ok.map((run) => run.wallSeconds));
    return {
      protocol: group.protocol,
      tool: group.tool,
      runs: group.runs.length,
      failedRuns: group.runs.length - ok.length,
      wallSeconds,
      mebibytesPerSecond: wallSeconds ? size / mebibyte / wallSeconds : null,
      cpuSeconds: median(ok.map((run) => run.cpuSeconds)),
      peakRssMiB: median(ok.map((run) => (run.peakRssKiB === null ? null : run.peakRssKiB / 1024))),
    };
  });
  for (const row of rows) {
    const siblings = rows.filter((other) => other.protocol === row.protocol);
    const referenceName = referenceFor(
      row.protocol,
      siblings.map((other) => ({ name: other.tool })),
    );
    const reference = siblings.find((other) => other.tool === referenceName);
    row.reference = referenceName ?? null;
    row.ratioToReference =
      reference?.mebibytesPerSecond && row.mebibytesPerSecond
        ? row.mebibytesPerSecond / reference.mebibytesPerSecond
        : null;
  }
  return rows;
}

function downloadTable(rows) {
  return table(
    ['protocol', 'tool', 'wall (s)', 'MiB/s', '× ref', 'CPU (s)', 'peak RSS (MiB)', 'failed'],
    rows.map((row) => [
      protocolLabel[row.protocol],
      row.tool,
      fixed(row.wallSeconds),
      fixed(row.mebibytesPerSecond, 0),
      row.ratioToReference === null ? '–' : `${fixed(row.ratioToReference)}× ${row.reference}`,
      fixed(row.cpuSeconds),
      fixed(row.peakRssMiB, 0),
      row.failedRuns > 0 ? `${row.failedRuns}/${row.runs}` : '',
    ]),
  );
}

/** reget against each adapter's library baseline, with the ratio it must reach. */
export function summarizeBaselines(rows) {
  return Object.entries(libraryBaseline).flatMap(([protocol, baseline]) => {
    const reget = rows.find((row) => row.protocol === protocol && row.tool === 'reget');
    if (!reget) return [];
    const compare = (tool, target, issue) => {
      const library = rows.find((row) => row.protocol === protocol && row.tool === tool);
      if (!library) return [];
      const ratio =
        reget.mebibytesPerSecond && library.mebibytesPerSecond
          ? reget.mebibytesPerSecond / library.mebibytesPerSecond
          : null;
      return [{ protocol, baseline: tool, issue, target, ratio, reget, library }];
    };
    const durable = durableBaseline[protocol];
    return [
      ...compare(baseline.tool, baseline.target, baseline.issue),
      ...(durable ? compare(durable.tool, durable.target, null) : []),
    ];
  });
}

/** `--checksum` on against off: medians, CPU, and each round's cost (its spread). */
function checksumTable(rows) {
  const percent = (cost) => `${fixed(cost * 100, 0)} %`;
  return table(
    [
      'protocol',
      'without (s)',
      'with --checksum (s)',
      'cost',
      'cost per round',
      'CPU without (s)',
      'CPU with (s)',
    ],
    rows.map((row) => [
      protocolLabel[row.protocol],
      fixed(row.withoutSeconds),
      fixed(row.withSeconds),
      row.withSeconds && row.withoutSeconds ? percent(row.withSeconds / row.withoutSeconds - 1) : '–',
      (row.roundCosts ?? []).map(percent).join(', ') || '–',
      row.withoutCpuSeconds == null ? '–' : fixed(row.withoutCpuSeconds),
      row.withCpuSeconds == null ? '–' : fixed(row.withCpuSeconds),
    ]),
  );
}

/** The markdown report: one table per measurement that was run. */
export function markdownReport(report) {
  const { machine, config } = report;
  const servers =
    report.large || report.checksum
      ? 'nginx, vsftpd and OpenSSH sshd'
      : report.latency
        ? 'nginx and OpenSSH sshd'
        : 'nginx';
  return [
    `## reget benchmark — ${report.date.slice(0, 10)}`,
    '',
    `${machine.cpu} × ${machine.cores}, ${fixed(machine.memoryGiB, 0)} GiB RAM, ${machine.os}, Linux ${machine.kernel}, Node ${machine.node}.`,
    `Loopback (127.0.0.1) from ${servers}; medians of ${config.rounds} interleaved rounds; the served files are in the page cache.`,
    '',
    ...(report.large ? mainSections(report) : []),
    ...(!report.large && report.checksum
      ? [
          `### sha256 verification (reget, ${sizeText(config.sizeBytes)})`,
          '',
          checksumTable(report.checksum),
          '',
        ]
      : []),
    ...(report.throttled ? throttledSection(report.throttled, config.throttled) : []),
    ...(report.mirrors ? mirrorsSection(report.mirrors, config.throttled) : []),
    ...(report.latency ? latencySection(report.latency, config.latency) : []),
  ].join('\n');
}

/** The unthrottled measurements: downloads, baselines, resume, checksum, start-up. */
function mainSections(report) {
  const sizeLabel = sizeText(report.config.sizeBytes);
  return [
    `### ${sizeLabel} download`,
    '',
    downloadTable(report.large),
    '',
    '### reget against the library baselines',
    '',
    table(
      ['protocol', 'baseline', 'reget MiB/s', 'baseline MiB/s', 'ratio', 'asked for'],
      report.baselines.map((row) => [
        protocolLabel[row.protocol],
        row.baseline,
        fixed(row.reget.mebibytesPerSecond, 0),
        fixed(row.library.mebibytesPerSecond, 0),
        `${fixed(row.ratio)}×`,
        row.target === null
          ? '– (flushes like reget)'
          : `≥ ${fixed(row.target)}×${row.issue === null ? ' (flushes like reget)' : ''}`,
      ]),
    ),
    '',
    '### 64 MiB download',
    '',
    downloadTable(report.small),
    '',
    `### Resume of a half-downloaded ${sizeLabel} file`,
    '',
    table(
      ['protocol', 'tool', 'on disk before', 'bytes fetched', 'wall (s)', 'CPU (s)'],
      report.resume.map((row) => [
        protocolLabel[row.protocol],
        row.tool,
        row.onDiskBefore === null ? '–' : `${fixed(row.onDiskBefore / mebibyte, 1)} MiB`,
        row.fetchedBytes === null ? '–' : `${fixed(row.fetchedBytes / mebibyte, 1)} MiB`,
        fixed(row.wallSeconds),
        fixed(row.cpuSeconds),
      ]),
    ),
    '',
    `### sha256 verification (reget, ${sizeLabel})`,
    '',
    checksumTable(report.checksum),
    '',
    '### Start-up',
    '',
    table(
      ['command', 'median (ms)'],
      report.startup.map((row) => [`\`${row.command}\``, fixed(row.medianMs, 0)]),
    ),
    '',
    '### Full GCs during one download of the large file',
    '',
    "V8 Mark-Compact collections counted with `node --trace-gc` and the command's own Node flags (a count,",
    "not a timing: on Node 20 the HTTP path ran 40-65 per GiB when the heap crossed V8's marking threshold).",
    '',
    table(
      ['protocol', 'Mark-Compact GCs', 'exit'],
      (report.fullGcs ?? []).map((row) => [
        protocolLabel[row.protocol],
        String(row.fullGcs),
        String(row.exitCode),
      ]),
    ),
    '',
  ];
}

/** Issue 8's throttled scenario: throughput against n × the per-connection limit, and aria2c. */
function throttledSection(rows, { sizeBytes, limitBytesPerSecond, target }) {
  const limit = limitBytesPerSecond / mebibyte;
  return [
    `### Throttled HTTP: ${sizeText(sizeBytes)} at ${fixed(limit, limit % 1 === 0 ? 0 : 2)} MiB/s per connection`,
    '',
    `nginx \`limit_rate ${limitBytesPerSecond}\` on every request; the target for reget is ≥ ${fixed(target)} × n × the limit with n = 4 and 8. Every download's sha256 is checked.`,
    '',
    table(
      [
        'tool',
        'connections',
        'wall (s)',
        'MiB/s',
        '× (n × limit)',
        `≥ ${fixed(target)}`,
        '× aria2c',
        'CPU (s)',
        'failed',
      ],
      rows.map((row) => [
        row.tool === 'aria2c'
          ? `aria2c -x ${row.connections} -s ${row.connections}`
          : `reget --connections ${row.connections}`,
        String(row.connections),
        fixed(row.wallSeconds),
        fixed(row.mebibytesPerSecond, 1),
        fixed(row.ratioToLimit, 3),
        row.meetsTarget === null ? '–' : row.meetsTarget ? 'yes' : 'no',
        row.ratioToAria2c === null ? '' : `${fixed(row.ratioToAria2c)}×`,
        fixed(row.cpuSeconds),
        row.failedRuns > 0 ? `${row.failedRuns}/${row.runs}` : '',
      ]),
    ),
    '',
  ];
}

/** The mirrors scenario: one file from two (then three) one-connection mirrors, against aria2c. */
function mirrorsSection(rows, { sizeBytes, limitBytesPerSecond }) {
  const limit = limitBytesPerSecond / mebibyte;
  return [
    `### Mirrors: ${sizeText(sizeBytes)} from nginx mirrors allowing one connection each`,
    '',
    `Mirrors A and B at ${fixed(limit, limit % 1 === 0 ? 0 : 2)} MiB/s (\`limit_conn 1\`, \`limit_rate\`), the slow one at 1 MiB/s; "× (2 × limit)" is the throughput over A and B's combined rate (target ≥ 0.9). aria2c gets the same URIs with \`-x1 -s<mirrors>\`. Every download's sha256 is checked.`,
    '',
    table(
      ['tool', 'mirrors', 'wall (s)', 'MiB/s', '× (2 × limit)', '× aria2c', 'CPU (s)', 'failed'],
      rows.map((row) => [
        row.tool === 'aria2c' ? 'aria2c -x1 -s<n> <urls>' : 'reget <url> --mirror …',
        row.label,
        fixed(row.wallSeconds),
        fixed(row.mebibytesPerSecond, 1),
        fixed(row.ratioToLimit, 3),
        row.ratioToAria2c === null ? '' : `${fixed(row.ratioToAria2c)}×`,
        fixed(row.cpuSeconds),
        row.failedRuns > 0 ? `${row.failedRuns}/${row.runs}` : '',
      ]),
    ),
    '',
  ];
}

/** The far-server scenario: each row against its peers through the delay proxy. */
function latencySection(rows, { delayMs }) {
  return [
    `### Far servers: ${fixed(2 * delayMs, 0)} ms round trip`,
    '',
    `sshd and nginx behind \`scripts/bench/delay-proxy.mjs\`, which delays every chunk ${fixed(delayMs, 0)} ms each way. Speed ratio to the reference: above 1 is faster. Spread: fastest–slowest run.`,
    '',
    table(
      ['download', 'tool', 'wall (s)', 'spread (s)', '× ref', 'CPU (s)', 'peak RSS (MiB)', 'failed'],
      rows.map((row) => [
        row.label,
        row.tool,
        fixed(row.wallSeconds),
        `${fixed(row.fastestSeconds)}–${fixed(row.slowestSeconds)}`,
        row.ratioToReference === null ? '–' : `${fixed(row.ratioToReference)}× ${row.reference}`,
        fixed(row.cpuSeconds),
        fixed(row.peakRssMiB, 0),
        row.failedRuns > 0 ? `${row.failedRuns}/${row.runs}` : '',
      ]),
    ),
    '',
  ];
}

/** Writes the whole report as JSON into bench-results/ (gitignored); returns the path. */
export function writeJson(repo, report) {
  const directory = join(repo, 'bench-results');
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `bench-${report.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}
