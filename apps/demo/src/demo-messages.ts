import { formatBytes, formatRate } from './human-units.js';

/**
 * The narrative `reget demo` prints between reget's own lines, so a newcomer can follow what the
 * servers do to the downloads and what reget does about it.
 */

/** The opening paragraph. */
export function describeDemoStart(size: number, rate: number, protocols: readonly string[]): string[] {
  return [
    `reget demo: ${protocols.join(', ')} servers on 127.0.0.1 each serve a ${formatBytes(size)} file. Each server`,
    '  cuts the connection part-way and replaces the file once; reget has to resume, notice the change,',
    `  and still end with exactly the server's file. Downloads are capped at ${formatRate(rate)} so you can watch.`,
  ];
}

/** Before the first run of a protocol. */
export function describeFirstRun(protocol: string, displayUrl: string, cutAt: number): string[] {
  return [
    '',
    `${protocol}: the server at ${displayUrl} will drop the connection after ${formatBytes(cutAt)}.`,
    `${protocol}: first run with retries off (like --retries 0), so the cut ends it.`,
  ];
}

/** After the first run ended at the cut, as planned. */
export function describeFirstRunCut(protocol: string, keptBytes: number): string {
  return `${protocol}: cut as planned; ${formatBytes(keptBytes)} stay on disk (a .part file and its .reget journal).`;
}

/** Before the second run: the file changed on the server. */
export function describeReplacement(protocol: string, cutAt: number): string[] {
  return [
    `${protocol}: now the server replaces the file with a new version of the same size. Adding to the old`,
    `${' '.repeat(protocol.length)}  bytes would make a corrupt file: reget must notice and start again from zero.`,
    `${protocol}: second run, retries on; the server drops the connection after ${formatBytes(cutAt)} twice more.`,
  ];
}

/** A retry after a cut, before reget's own retry line. */
export function describeCut(protocol: string): string {
  return `${protocol}: the server dropped the connection; reget keeps what arrived and will resume from there.`;
}

/** The independent check of the finished file. */
export function describeVerification(protocol: string, actual: string, isVerified: boolean): string {
  return isVerified
    ? `${protocol}: sha256 ${actual.slice(0, 16)}… matches the server's current file. ✓`
    : `${protocol}: sha256 ${actual.slice(0, 16)}… does NOT match the server's current file. ✗`;
}

/** Where the files are when `--keep` was given. */
export function describeKept(directory: string): string {
  return `reget demo: the downloaded files are kept in ${directory}`;
}
