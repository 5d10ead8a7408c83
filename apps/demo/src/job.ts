import type { PieceHashes } from '@reget/core';

/** One file the command downloads: where it comes from and where it goes. */
export interface Job {
  /** Position on the command line (or in the input file), from 0. */
  readonly index: number;
  /** The URL with any credentials; never printed. */
  readonly url: URL;
  /** The URL without credentials or signatures, safe to print. */
  readonly displayUrl: string;
  /** Absolute path of the finished file. */
  readonly destination: string;
  /** How the file is named in messages: the destination relative to the working directory. */
  readonly label: string;
  /**
   * Where this URL's password came from, or undefined when none was given at all: a refused login
   * then says how to give one.
   */
  readonly passwordSource?: 'url' | 'environment' | 'prompt' | undefined;
  /** `--no-restart` was given: a changed remote is a failure, worded as such. */
  readonly isRestartRefused?: boolean | undefined;
  /** `algorithm:hex` to verify the finished file with (`--checksum`, or its `--checksum-file` line). */
  readonly checksum?: string | undefined;
  /** Other places serving the same file (`--mirror`, a tab-separated `-i` line, a Metalink). */
  readonly mirrors?: readonly URL[] | undefined;
  /** Piece hashes, from a Metalink. */
  readonly pieces?: PieceHashes | undefined;
}

/** What the command last heard about a job's bytes, for the interrupt and failure lines. */
export interface JobProgress {
  bytesOnDisk: number;
  total: number | undefined;
}
