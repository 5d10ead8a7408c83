import { createHash } from 'node:crypto';

/**
 * What one job of the queue carries: where a file comes from and where it goes. Never a secret:
 * credentials, keys and secret headers live in each worker's configuration (see
 * {@link DownloadWorkerOptions.credentials}).
 */
export interface DownloadJobData {
  /** The remote URL, without a password or a secret query parameter. */
  readonly url: string;
  /** Path of the finished file, relative to the workers' root directory (`/` separators). */
  readonly destination: string;
  /** `algorithm:hex` (sha256, sha512, sha1, md5), checked before the file is moved into place. */
  readonly checksum?: string | undefined;
  /** Other places serving the same file (core's `mirrors`), each as free of secrets as `url`. */
  readonly mirrors?: readonly string[] | undefined;
}

/** What a finished job returns (BullMQ's `returnvalue`). */
export interface DownloadJobResult {
  /** The job's destination, relative to the root. */
  readonly destination: string;
  /** Size of the finished file. */
  readonly size: number;
  /** Bytes fetched by this attempt (a resume fetches only what was missing). */
  readonly fetchedBytes: number;
  /** Attempts of this run that resumed from bytes on disk. */
  readonly resumes: number;
  /** Times the download started again from zero (the remote changed). */
  readonly restarts: number;
  /** True when nothing needed fetching. */
  readonly isAlreadyComplete: boolean;
  /** The verified checksum, when the job asked for one. */
  readonly checksum: string | undefined;
}

/** What a running job reports through `job.updateProgress`. */
export interface DownloadJobProgress {
  /** Bytes of the file on disk, resumed bytes included. */
  readonly bytesOnDisk: number;
  /** The true total, or null when the server does not say. */
  readonly total: number | null;
  /** Current speed of this worker's transfer. */
  readonly bytesPerSecond: number;
  /**
   * Percent of the total on disk, 0–100 (absent when the total is unknown): the number BullMQ
   * dashboards such as bull-board draw as a progress ring.
   */
  readonly progress?: number | undefined;
}

/**
 * The job id of a destination: the same file is never in the queue twice, whichever producer adds
 * it. A digest (not the path itself) because BullMQ reserves `:` and ids must stay short.
 */
export function jobIdFor(destination: string): string {
  return `reget-${createHash('sha256').update(destination).digest('hex').slice(0, 40)}`;
}
