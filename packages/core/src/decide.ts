import type { RemoteStat } from './contract.js';
import type { RestartReason } from './events.js';
import type { Journal } from './journal.js';
import { type ByteRange, ByteRanges } from './ranges.js';

/** What is on disk for a destination before an attempt. */
export interface LocalState {
  readonly journal: Journal | undefined;
  /** Size of `<destination>.part`, or undefined when there is none. */
  readonly partialSize: number | undefined;
  /** The redacted URL of this download, compared with the journal's. */
  readonly url: string;
  /** This boot of the machine (see `currentBoot`), compared with an unflushed journal's. */
  readonly boot?: string | undefined;
  /**
   * The download has mirrors: a journal written for another of its URLs is the same file, whose
   * validator (another server's) says nothing; only its size is compared.
   */
  readonly isMirrored?: boolean | undefined;
}

/** The decision for one attempt (docs/design.md, "The algorithm"). */
export type Decision =
  | { readonly action: 'fresh'; readonly total: number | undefined; readonly reason: string }
  | {
      readonly action: 'resume' | 'complete';
      readonly total: number | undefined;
      /** Ranges taken as on disk. */
      readonly ranges: readonly ByteRange[];
      /** Whether bytes before each resume offset must be re-read and compared (no strong validator). */
      readonly mustVerify: boolean;
      /** Bytes taken from the file length alone (no trusted journal claims them); never journalled unverified. */
      readonly unverified?: ByteRange | undefined;
      readonly reason: string;
    }
  | { readonly action: 'restart'; readonly total: number | undefined; readonly reason: RestartReason };

/**
 * Decides, from the remote's stat and what is on disk: already complete, resume, or restart.
 * Pure: reading the disk and acting on the decision are the caller's.
 */
export function decide(stat: RemoteStat, local: LocalState, isRestartRequested: boolean): Decision {
  const { journal, partialSize } = local;
  if (partialSize === undefined || partialSize === 0) {
    return { action: 'fresh', total: stat.size, reason: 'no partial' };
  }
  if (isRestartRequested) return { action: 'restart', total: stat.size, reason: 'restart requested' };
  // Claims of bytes never flushed, made in another boot: the device may hold zeros under them.
  if (journal?.unflushedBoot !== undefined && journal.unflushedBoot !== local.boot) {
    return { action: 'restart', total: stat.size, reason: 'unflushed before a reboot' };
  }

  // A journal written for another URL (a mirror, another port) is no proof that the bytes are this
  // remote's: they are verified. It still says which version they are, so a different validator or
  // size there is a change too.
  const trusted = journal && journal.url === local.url ? journal : undefined;
  if (journal && !trusted && isOtherVersion(journal, stat, local.isMirrored === true)) {
    return { action: 'restart', total: stat.size, reason: 'remote changed' };
  }
  // Its ranges still say where the bytes are: a segmented partial has holes, and the file's length
  // must never be taken for data past them (they are verified, and claimed only once they are).
  const ranges = new ByteRanges(journal?.ranges ?? []);
  ranges.truncate(partialSize);
  // A strong validator vouches for the bytes only if the server still sends one to compare.
  let mustVerify = trusted?.validator?.isStrong !== true || stat.validator === undefined;
  let unverified: ByteRange | undefined = trusted ? undefined : [0, partialSize];
  // Bytes past the journal's last checkpoint (a kill -9 between write and journal) are on disk:
  // the file length is the truth for the open tail, and it is verified before anything is appended.
  // Not after several connections: their unjournalled bytes may sit past holes of zeros.
  if (partialSize > ranges.end && !journal?.isSegmented) {
    unverified ??= [ranges.end, partialSize];
    ranges.add(ranges.end, partialSize);
    mustVerify = true;
  }

  const stored = trusted?.validator;
  if (stored && stat.validator && stored.value !== stat.validator.value) {
    return { action: 'restart', total: stat.size, reason: 'remote changed' };
  }
  if (trusted?.total !== undefined && stat.size !== undefined && trusted.total !== stat.size) {
    return { action: 'restart', total: stat.size, reason: 'remote changed' };
  }
  const total = stat.size ?? (stored && stat.validator ? trusted?.total : undefined);
  if (total !== undefined && ranges.end > total) {
    return { action: 'restart', total, reason: 'local larger than remote' };
  }
  const isComplete = total !== undefined && ranges.covers(0, total);
  if (stat.acceptsRanges === false && !isComplete) {
    return { action: 'restart', total, reason: 'ranges not supported' };
  }
  if (isComplete && !mustVerify) {
    return { action: 'complete', total, ranges: ranges.toArray(), mustVerify, reason: 'all bytes on disk' };
  }
  const reason = !trusted
    ? journal
      ? 'journal written for another URL, verifying'
      : 'partial without journal, verifying'
    : isComplete
      ? 'verifying the tail'
      : 'partial on disk';
  return { action: 'resume', total, ranges: ranges.toArray(), mustVerify, unverified, reason };
}

/** Whether a journal's validator or size says its bytes belong to another version than `stat`. */
function isOtherVersion(journal: Journal, stat: RemoteStat, isMirrored: boolean): boolean {
  const hasValidators = !isMirrored && journal.validator && stat.validator;
  if (hasValidators && journal.validator?.value !== stat.validator?.value) return true;
  return journal.total !== undefined && stat.size !== undefined && journal.total !== stat.size;
}
