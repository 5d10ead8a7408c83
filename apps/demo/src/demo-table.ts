import type { DemoRow } from './demo-scenario.js';
import { formatBytes } from './human-units.js';

const headers = ['protocol', 'bytes', 'server sent', 'resumes', 'restarts', 'verified'] as const;

/**
 * The demo's closing table, one row per protocol:
 *
 * ```
 * protocol  bytes     server sent  resumes  restarts  verified
 * HTTP      24.0 MiB  38.4 MiB     2        1         ✓
 * ```
 *
 * "server sent" counts every file byte the server wrote, cut responses included: the cost of the
 * cuts and of the change, compared with the file's size.
 */
export function renderDemoTable(rows: readonly DemoRow[]): string[] {
  const cells = rows.map((row) => [
    row.protocol,
    formatBytes(row.size),
    formatBytes(row.sentBytes),
    String(row.resumes),
    String(row.restarts),
    row.isVerified ? '✓' : '✗',
  ]);
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((line) => line[column]!.length)),
  );
  const render = (line: readonly string[]) =>
    line
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [render(headers), ...cells.map(render)];
}

/** The last line: the verdict. */
export function describeVerdict(rows: readonly DemoRow[]): string {
  const verified = rows.filter((row) => row.isVerified).length;
  return verified === rows.length
    ? `reget demo: all ${rows.length} downloads verified by sha256.`
    : `reget demo: ${rows.length - verified} of ${rows.length} downloads not verified.`;
}
