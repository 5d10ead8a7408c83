export {
  type ChecksumList,
  type ChecksumListEntry,
  type ChecksumListProblem,
  checksumFor,
  type ParseChecksumListOptions,
  parseChecksumList,
} from './checksum-list.js';
export { strongestChecksum, toChecksumOption } from './hashes.js';
export {
  type Metalink,
  type MetalinkFile,
  type MetalinkPieces,
  type MetalinkProblem,
  type MetalinkSkipped,
  type ParseMetalinkOptions,
  parseMetalink,
} from './metalink.js';
export { safeRelativePath, type UnsafeNameRule } from './safe-path.js';
export type { MetalinkMetaurl, MetalinkUrl } from './sources.js';
