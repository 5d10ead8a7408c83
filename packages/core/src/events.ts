import type { RegetError } from './errors.js';

/** Why a download starts again from zero instead of resuming. */
export type RestartReason =
  | 'remote changed'
  | 'server ignored range'
  | 'local larger than remote'
  | 'ranges not supported'
  | 'restart requested';

/** Events a download emits, in order. Libraries never print; the CLI renders these. */
export type DownloadEvent =
  | {
      /** The remote was probed. */
      readonly type: 'probe';
      readonly url: string;
      readonly total: number | undefined;
      readonly acceptsRanges: boolean | undefined;
    }
  | {
      /** What this attempt will do and why. */
      readonly type: 'decision';
      readonly action: 'fresh' | 'resume' | 'restart' | 'complete';
      /** Bytes already on disk that this attempt keeps (with segments, not one contiguous offset). */
      readonly offset: number;
      readonly total: number | undefined;
      readonly reason: string;
    }
  | {
      /** The bytes on disk were discarded and the download starts again from zero. */
      readonly type: 'restart';
      readonly reason: RestartReason;
      /** Bytes that were on disk before the restart. */
      readonly discardedBytes: number;
    }
  | {
      /** An attempt failed and another one follows after `delayMs`. */
      readonly type: 'retry';
      readonly attempt: number;
      readonly delayMs: number;
      readonly error: RegetError;
      /** Bytes on disk when the attempt failed (all kept for the next one). */
      readonly bytesOnDisk: number;
      readonly total: number | undefined;
    }
  | {
      readonly type: 'progress';
      /** Bytes of the file on disk (never just the bytes of this attempt). */
      readonly bytesOnDisk: number;
      /** The true total, or undefined when unknown. Never "what is left". */
      readonly total: number | undefined;
      /** Smoothed bytes per second. */
      readonly bytesPerSecond: number;
      /** Seconds left, or undefined when the total or the speed is unknown. */
      readonly etaSeconds: number | undefined;
      /** Connections transferring right now. */
      readonly connections: number;
    }
  | {
      /** How many connections the download uses when more than one was asked for. */
      readonly type: 'segments';
      readonly requested: number;
      readonly used: number;
      /** Why fewer connections than requested are used, when so. */
      readonly reason: string | undefined;
    }
  | {
      /** Size and checksum were verified and the file renamed into place. */
      readonly type: 'complete';
      readonly size: number;
      readonly isAlreadyComplete: boolean;
    };
