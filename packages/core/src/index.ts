export { type Checksum, type ChecksumAlgorithm, parseChecksum } from './checksum.js';
export type {
  Adapter,
  AdapterCapabilities,
  OpenContext,
  PublishedDigest,
  ReadRequest,
  ReadResponse,
  Remote,
  RemoteStat,
  Validator,
} from './contract.js';
export { download } from './download.js';
export {
  connectionError,
  ErrorCode,
  escapeControl,
  type HostKeyDetails,
  isRegetError,
  notFoundError,
  RegetError,
  type RegetErrorDetails,
  type RegetErrorOptions,
} from './errors.js';
export type { DownloadEvent, RestartReason } from './events.js';
export type { DownloadOptions, DownloadResult, ExistingFilePolicy, PieceHashes } from './options.js';
export { parseByteCount } from './parse.js';
export { type ProbeOptions, probe } from './probe.js';
export { DownloadQueue, type QueueItem, type QueueOptions } from './queue.js';
export { type ByteRange, ByteRanges } from './ranges.js';
export type { SourceReport } from './sources.js';
export { abortable } from './timeout.js';
export { adapterFor, fileNameFromUrl, parseUrl, redactUrl, safeFileName } from './url.js';
