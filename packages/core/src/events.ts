import type { RegetError } from './errors.js';
import type { DownloadResult } from './options.js';
import type { SourceReport } from './sources.js';

/** Why a download starts again from zero instead of resuming. */
export type RestartReason =
  | 'remote changed'
  | 'server ignored range'
  | 'local larger than remote'
  | 'ranges not supported'
  | 'restart requested'
  /** The partial was written with `durable: false` and the machine has restarted since. */
  | 'unflushed before a reboot';

/** Events a download emits, in order. Libraries never print; the CLI renders these. */
export type DownloadEvent =
  | {
      /** The remote was probed (once per attempt). */
      readonly type: 'probe';
      /** The final URL after redirects, without credentials. */
      readonly url: string;
      /** The remote's size, or undefined when the server does not say. */
      readonly total: number | undefined;
      /** Whether the server serves ranges: true, false, or undefined when it does not say. */
      readonly acceptsRanges: boolean | undefined;
    }
  | {
      /** What this attempt will do and why. */
      readonly type: 'decision';
      /** Start from zero, resume what is on disk, start again, or nothing to fetch. */
      readonly action: 'fresh' | 'resume' | 'restart' | 'complete';
      /** Bytes already on disk that this attempt keeps (with segments, not one contiguous offset). */
      readonly offset: number;
      /** The true total, or undefined when unknown. */
      readonly total: number | undefined;
      /** Why, in words (for logs; not a stable value). */
      readonly reason: string;
    }
  | {
      /** The bytes on disk were discarded and the download starts again from zero. */
      readonly type: 'restart';
      /** Why: a stable value, see {@link RestartReason}. */
      readonly reason: RestartReason;
      /** Bytes that were on disk before the restart. */
      readonly discardedBytes: number;
    }
  | {
      /** An attempt failed and another one follows after `delayMs`. */
      readonly type: 'retry';
      /** The attempt that failed, counting from 1. */
      readonly attempt: number;
      /** How long core waits before the next attempt (backoff, or the server's Retry-After). */
      readonly delayMs: number;
      /** Why the attempt failed. */
      readonly error: RegetError;
      /** Bytes on disk when the attempt failed (all kept for the next one). */
      readonly bytesOnDisk: number;
      readonly total: number | undefined;
    }
  | {
      /**
       * Bytes on disk of the true total: at most every `progressIntervalMs` while bytes arrive, once
       * more when they pause, and once when every byte is on disk.
       */
      readonly type: 'progress';
      /** Bytes of the file on disk (never just the bytes of this attempt). */
      readonly bytesOnDisk: number;
      /** The true total, or undefined when unknown. Never "what is left". */
      readonly total: number | undefined;
      /**
       * Bytes per second received in this call, smoothed over about 3 s; a transfer shorter than
       * one smoothing step reports its average. 0 before any byte arrived.
       */
      readonly bytesPerSecond: number;
      /** Seconds left, or undefined when the total or the speed is unknown. */
      readonly etaSeconds: number | undefined;
      /** Connections transferring right now. */
      readonly connections: number;
      /** With mirrors: bytes each source delivered in this call, primary first. */
      readonly sources?: readonly SourceReport[] | undefined;
    }
  | {
      /**
       * A read, write or flush of the partial has not finished after `waitedMs` (repeated while it
       * lasts): the disk is slow or stalled. The transfer waits for it; the server's silence
       * meanwhile is not a network timeout.
       */
      readonly type: 'disk-stall';
      readonly operation: 'read' | 'write' | 'flush';
      readonly waitedMs: number;
    }
  | {
      /** How many connections the download uses when more than one was asked for. */
      readonly type: 'segments';
      /** The `connections` asked for. */
      readonly requested: number;
      /** The connections this attempt uses. */
      readonly used: number;
      /** Why fewer connections than requested are used, when so. */
      readonly reason: string | undefined;
    }
  | {
      /**
       * Several sources (mirrors) serve this download: which answered this attempt's probe and are
       * used. Once per attempt, after `probe`.
       */
      readonly type: 'sources';
      /** The sources in use, without credentials, primary first. */
      readonly used: readonly string[];
    }
  | {
      /**
       * A source is no longer used for this download: it disagreed on the size, served bytes that
       * other sources or piece hashes contradict, kept failing, or trickled far below the others.
       * Its ranges go to the sources left.
       */
      readonly type: 'source-dropped';
      /** The source, without credentials. */
      readonly url: string;
      /** Why, in words. */
      readonly reason: string;
    }
  | {
      /** Size and checksum were verified and the file renamed into place. */
      readonly type: 'complete';
      /** Size of the finished file. */
      readonly size: number;
      /** True when nothing needed fetching (see {@link DownloadResult.isAlreadyComplete}). */
      readonly isAlreadyComplete: boolean;
    };
