import type { ServerFaults } from '../conformance/target.js';

/**
 * Faults of the embedded SFTP server (docs/faults.md SFTP-01..07, NET-01..03), on top of the shared
 * {@link ServerFaults}. A "response" is one opened file handle: `dropAfterBytes` closes the SFTP
 * channel (or the connection, see `dropScope`) once that handle has sent so many bytes;
 * `stallAfterBytes` stops answering its READs but keeps everything open. `ignoreRange` and
 * `refuseRange` have no SFTP meaning and are not implemented.
 */
export interface SftpFaults extends ServerFaults {
  /**
   * Short reads (SFTP-06): every DATA reply carries at most this many bytes, or as many as the
   * function returns for a READ of `requested` bytes at `offset` (at least 1).
   */
  readonly shortReads?: number | ((requested: number, offset: number) => number) | undefined;
  /** STAT and FSTAT leave the size out (no SSH_FILEXFER_ATTR_SIZE), as for some special files (SFTP-05). */
  readonly omitSize?: boolean | undefined;
  /**
   * A far server: no READ of a handle is answered until READs for at least this many bytes have
   * arrived on it, then they are answered all at once, as a server a long round trip away sees a
   * client's whole read-ahead arrive before its first reply leaves. Later READs are answered as
   * they come. (Only for files held in memory.)
   */
  readonly holdFirstReadBytes?: number | undefined;
  /** What `dropAfterBytes` closes: the SFTP channel (default) or the whole SSH connection. */
  readonly dropScope?: 'channel' | 'connection' | undefined;
}

/** How many bytes a DATA reply may carry under the short-read fault. */
export function shortReadLimit(faults: SftpFaults, requested: number, offset: number): number {
  const { shortReads } = faults;
  if (shortReads === undefined) return requested;
  const limit = typeof shortReads === 'number' ? shortReads : shortReads(requested, offset);
  return Math.max(1, Math.min(requested, Math.floor(limit)));
}
