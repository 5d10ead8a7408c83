import type { ChecksumAlgorithm } from './checksum.js';
import type { Adapter } from './contract.js';
import type { RegetError } from './errors.js';
import type { DownloadEvent } from './events.js';
import type { SourceReport } from './sources.js';

/** What to do when the destination already exists and no partial download of it is on disk. */
export type ExistingFilePolicy =
  /** Fail with EXISTS and leave the file alone (the default). */
  | 'error'
  /** Download again and replace it atomically once the new copy is verified. */
  | 'overwrite'
  /** Treat the existing file as a partial download and resume it (its bytes are verified first). */
  | 'continue';

/** Options for {@link download}. Required things are in the first block; everything else has a default. */
export interface DownloadOptions {
  /** The remote URL. Credentials in it are used and never printed, logged or journalled. */
  readonly url: string | URL;
  /** Path of the finished file. The partial is `<destination>.part`, the journal `<destination>.reget`. */
  readonly destination: string;
  /** The adapters to choose from by URL scheme. */
  readonly adapters: readonly Adapter[];
  /**
   * Other places that serve the same file (any protocol with an adapter). Every source is probed;
   * one that disagrees on the size is dropped. Segments are spread across the sources, a fast one
   * takes work from a slow one, and one that keeps failing, trickles far below the others or serves
   * bytes the others contradict is dropped (a `source-dropped` event says why). Without a checksum
   * or piece hashes, ranges from different sources are compared where they meet. Each source's own
   * validator guards what it serves; the journal is the URL's, so a rerun may name other mirrors.
   */
  readonly mirrors?: readonly (string | URL)[] | undefined;
  /**
   * Use the other places the server announces for the file (RFC 6249 `Link: <…>; rel=duplicate`,
   * as MirrorBrain sends) as mirrors. Default false: it sends requests to other hosts.
   */
  readonly followDuplicates?: boolean | undefined;
  /**
   * Hashes of consecutive pieces of the file (Metalink `<pieces>`): each piece is checked as soon
   * as it is on disk, and journalled only once it passed. A piece that fails is fetched again from
   * another source, and the source that served it is dropped.
   */
  readonly pieces?: PieceHashes | undefined;
  /**
   * Check the finished file against a digest the server published (HTTP `Repr-Digest`/`Digest`)
   * when no `checksum` is given. Default true: a mismatch keeps the bytes as `.corrupt`.
   */
  readonly verifyPublishedDigest?: boolean | undefined;

  /**
   * Aborts promptly: the call rejects with a {@link RegetError} whose code is `ABORTED` (whatever
   * the signal's reason), and the partial and journal stay resumable by the next call.
   */
  readonly signal?: AbortSignal | undefined;
  /**
   * Receives every {@link DownloadEvent}, synchronously and in order: `probe` and `decision` once
   * per attempt, `restart`, `retry` and `segments` when they happen, `progress` at most every
   * `progressIntervalMs` while bytes arrive (plus one when they pause and one when all are on disk,
   * so the last progress event always shows the whole file), and `complete` last. Must not throw.
   */
  readonly onEvent?: ((event: DownloadEvent) => void) | undefined;
  /** Failed attempts in a row that made no progress before giving up. Default 5. */
  readonly retries?: number | undefined;
  /** First retry delay; doubles each time with jitter, capped at 30 s. Default 500 ms. */
  readonly retryDelayMs?: number | undefined;
  /** Connect (and login) timeout in ms. Default 30 000. */
  readonly connectTimeoutMs?: number | undefined;
  /** No byte (or no answer) for this long aborts the attempt as TIMEOUT. Default 60 000. */
  readonly idleTimeoutMs?: number | undefined;
  /** Abort an attempt that stays below `bytesPerSecond` for `seconds` (a trickle defeats idle timeouts). */
  readonly lowSpeedLimit?: { readonly bytesPerSecond: number; readonly seconds: number } | undefined;
  /** Cap on the transfer rate in bytes per second. Default: none. */
  readonly limitRateBytesPerSecond?: number | undefined;
  /** `algorithm:hex`, e.g. `sha256:9f86…`; sha256, sha512, sha1 and md5 are accepted. */
  readonly checksum?: string | undefined;
  /** Restart from zero when the remote changed or ignores ranges (reported as an event). Default true. */
  readonly allowRestart?: boolean | undefined;
  /** Ignore any partial on disk and start from zero. Default false. */
  readonly restart?: boolean | undefined;
  /**
   * Flush bytes to the device before the journal claims them and before the rename. Default true.
   * `false` is for scratch downloads on fast links: a kill -9 still resumes safely; after a power
   * cut or a system crash a partial starts over (its journal names the boot that wrote it), and a
   * file finished just before may hold zeros, as with curl or wget.
   */
  readonly durable?: boolean | undefined;
  /**
   * What to do when the destination exists without a partial. Default `'error'`: a finished
   * download that is still the remote's current version (same size and modification time, or the
   * same last `overlapBytes` when the server gives no time) completes as already complete; any
   * other file fails with EXISTS and is left alone.
   */
  readonly ifExists?: ExistingFilePolicy | undefined;
  /** Parallel connections on disjoint ranges (when the remote serves ranges). Default 1. */
  readonly connections?: number | undefined;
  /** Upper bound for `connections` of one download to its host; raise it deliberately. Default 16. */
  readonly maxConnectionsPerHost?: number | undefined;
  /** Smallest range a connection is given or steals. Default 1 MiB. */
  readonly minSegmentBytes?: number | undefined;
  /** Bytes re-read and compared before resuming when there is no strong validator. Default 65 536. */
  readonly overlapBytes?: number | undefined;
  /**
   * Minimum interval between `progress` events in ms. Default 200. `0` reports every write (tests,
   * tools that draw their own bars).
   */
  readonly progressIntervalMs?: number | undefined;
  /**
   * This machine's name in the destination's lock, for directories shared by several machines
   * (NFS). Default `os.hostname()`. A lock of this host is judged by its pid; one of another host
   * by its lease, so every machine sharing a directory needs its own name.
   */
  readonly lockHost?: string | undefined;
  /**
   * How long the lock stays valid for other hosts without a renewal, in ms; the holder renews it
   * every third of that while it downloads. A lock of another host is taken over only once its
   * lease expired, so hosts' clocks must agree to well within a third of it. Default 60 000.
   */
  readonly lockLeaseMs?: number | undefined;
}

/** Piece hashes: the file cut into pieces of `length` bytes (the last one shorter), each hashed. */
export interface PieceHashes {
  readonly algorithm: ChecksumAlgorithm;
  /** Bytes per piece. */
  readonly length: number;
  /** Lower-case hex digests, one per piece, in order. */
  readonly hashes: readonly string[];
}

/** What a finished download reports (the promise of {@link download} resolves with it). */
export interface DownloadResult {
  /** Absolute path of the finished file. */
  readonly destination: string;
  /** Size of the finished file. */
  readonly size: number;
  /** Bytes received from the network in this call (including verification overlaps). */
  readonly fetchedBytes: number;
  /**
   * True when nothing needed fetching: every byte was already on disk, or the destination was a
   * finished download that is still the remote's current version (a rerun).
   */
  readonly isAlreadyComplete: boolean;
  /** Attempts that resumed from bytes already on disk. */
  readonly resumes: number;
  /** Times the download started again from zero (remote changed, range ignored…). */
  readonly restarts: number;
  /**
   * The verified checksum as `algorithm:hex`: the one asked for, or the one the server published
   * (see {@link DownloadOptions.verifyPublishedDigest}).
   */
  readonly checksum: string | undefined;
  /** With mirrors: what each source delivered in this call, primary first. */
  readonly sources?: readonly SourceReport[] | undefined;
}
