import {
  type Checksum,
  type ChecksumAlgorithm,
  ErrorCode,
  parseByteCount,
  RegetError,
  type RegetErrorDetails,
  redactUrl,
} from '@reget/core';
import { algorithmNamed, badHexReason, byStrength } from './hashes.js';
import { metalinkShape, type RawFile, type RawPieces, readMetalink } from './metalink-read.js';
import { unsafeName } from './safe-path.js';
import {
  byPriority,
  type MetalinkMetaurl,
  type MetalinkUrl,
  parsePriority,
  resolveReference,
  resolveSource,
} from './sources.js';
import { defaultMaxBytes, quote, refuseOversized } from './untrusted.js';
import { readXml } from './xml.js';

const defaultMaxElements = 200_000;

/** Piece hashes: the file cut into `length`-byte pieces (the last one shorter), each hashed. */
export interface MetalinkPieces {
  readonly algorithm: ChecksumAlgorithm;
  /** Bytes per piece, a positive safe integer. */
  readonly length: number;
  /** Lower-case hex, one per piece in file order; as many as the size needs when the size is known. */
  readonly hashes: readonly string[];
}

/** One file a Metalink describes. */
export interface MetalinkFile {
  /** A safe relative path (see {@link safeRelativePath}); may contain `/` directories. */
  readonly name: string;
  /** Bytes, when the document says. */
  readonly size?: number;
  /** Whole-file hashes reget can verify, strongest first (sha512, sha256, sha1, md5), lower-case hex. */
  readonly hashes: readonly Checksum[];
  /** The strongest piece list the document gives with an algorithm reget verifies. */
  readonly pieces?: MetalinkPieces;
  /** Where to download it from, best first (see {@link MetalinkUrl.priority}). May be empty. */
  readonly urls: readonly MetalinkUrl[];
  /** Links to other descriptions (torrents), best first; listed, never followed by reget. */
  readonly metaurls: readonly MetalinkMetaurl[];
}

/** Something the document lists that was left out of the result, and why. */
export interface MetalinkSkipped {
  /** The name of the file it belongs to. */
  readonly file: string;
  readonly kind: 'url' | 'metaurl' | 'hash' | 'pieces';
  /** The URL (with any password removed) or the hash type, as written. */
  readonly value: string;
  /** One phrase saying why, such as `reget does not download file: URLs (…)`. */
  readonly reason: string;
}

/** A parsed Metalink document. */
export interface Metalink {
  /** 4 for RFC 5854 (`.meta4`), 3 for Metalink 3.0 (`.metalink`). */
  readonly version: 3 | 4;
  /** At least one; names are unique. */
  readonly files: readonly MetalinkFile[];
  readonly skipped: readonly MetalinkSkipped[];
}

/**
 * Which check refused a Metalink: the `details.metalink` of the error {@link parseMetalink} throws.
 * `file-name` errors also carry the name rule in `details.unsafeName` (see {@link safeRelativePath}).
 */
export type MetalinkProblem =
  | 'too-large'
  | 'not-xml'
  | 'doctype'
  | 'not-metalink'
  | 'no-file'
  | 'file-name'
  | 'duplicate-name'
  | 'size'
  | 'hash'
  | 'pieces'
  | 'base-url';

/** A BAD_INPUT error about a Metalink, with the check that refused it in `details.metalink`. */
function refusal(problem: MetalinkProblem, message: string, details: RegetErrorDetails = {}): RegetError {
  return new RegetError(ErrorCode.BAD_INPUT, message, { details: { metalink: problem, ...details } });
}

/** Options for {@link parseMetalink}. */
export interface ParseMetalinkOptions {
  /**
   * Where the document came from: relative URLs (and `xml:base`) resolve against it. Default: none,
   * and relative URLs are skipped.
   */
  readonly baseUrl?: string | URL;
  /** Larger documents are refused before parsing. Default 16 MiB. */
  readonly maxBytes?: number;
  /**
   * Documents with more of the elements reget reads (files, sizes, hashes, piece hashes, URLs) are
   * refused as they are read: tiny ones (`<url/>`) would otherwise turn 16 MiB into a gigabyte of
   * objects. Default 200 000, about 15 MiB of SHA-256 piece hashes.
   */
  readonly maxElements?: number;
  /** How messages name the document, such as `debian.meta4`. Default `The Metalink document`. */
  readonly source?: string;
}

/**
 * Parses a Metalink 4 (RFC 5854) or Metalink 3.0 document into its files, each with its safe name,
 * size, hashes, piece hashes and download URLs best first. Never touches the network or the disk.
 *
 * Throws a BAD_INPUT {@link RegetError}, with the check in `details.metalink`
 * ({@link MetalinkProblem}), for a document it will not trust: larger than `maxBytes`,
 * not well-formed, with a DOCTYPE, with no `<file>`, with a file name that is unsafe or listed twice,
 * a size that is not a whole number of bytes, a hash whose hex does not fit its algorithm, or a piece
 * list whose count does not fit the size. URLs it cannot use (other schemes, relative without a
 * base, bad priority) and hash types reget does not verify are left out and listed in `skipped`.
 */
export function parseMetalink(xml: string, options: ParseMetalinkOptions = {}): Metalink {
  const what = options.source ?? 'The Metalink document';
  refuseOversized(xml, options.maxBytes ?? defaultMaxBytes, what, { metalink: 'too-large' });
  let baseUrl: string | undefined;
  if (options.baseUrl !== undefined) {
    baseUrl = resolveReference(options.baseUrl.toString(), undefined);
    if (baseUrl === undefined) {
      throw refusal('base-url', `baseUrl ${quote(options.baseUrl.toString())} is not an absolute URL.`);
    }
  }
  const maxElements = options.maxElements ?? defaultMaxElements;
  if (!Number.isSafeInteger(maxElements) || maxElements < 1) {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `maxElements must be a whole number from 1, not ${maxElements}.`,
    );
  }
  const raw = readMetalink(readXml(xml, what, metalinkShape(maxElements)), baseUrl, what);
  if (raw.files.length === 0) {
    throw refusal('no-file', `${what} lists no <file>, so there is nothing to download.`);
  }
  const skipped: MetalinkSkipped[] = [];
  const names = new Set<string>();
  const files = raw.files.map((file, index) => {
    const checked = checkFile(file, index, what, skipped);
    if (names.has(checked.name)) {
      throw refusal('duplicate-name', `${what} lists the file ${quote(checked.name)} twice.`);
    }
    names.add(checked.name);
    return checked;
  });
  return { version: raw.version, files, skipped };
}

function checkFile(file: RawFile, index: number, what: string, skipped: MetalinkSkipped[]): MetalinkFile {
  if (file.name === undefined) {
    throw refusal('file-name', `${what}: <file> number ${index + 1} has no name attribute.`);
  }
  const name = file.name;
  const unsafe = unsafeName(name);
  if (unsafe !== undefined) {
    // Refused rather than rewritten: a rewritten name could land on another file of the same set.
    throw refusal('file-name', `${what} names a file ${quote(name)}, refused because it ${unsafe.reason}.`, {
      unsafeName: unsafe.rule,
    });
  }
  const fail = (problem: MetalinkProblem, reason: string) =>
    refusal(problem, `${what}, file ${quote(name)}: ${reason}.`);
  const skip = (kind: MetalinkSkipped['kind'], value: string, reason: string) =>
    skipped.push({ file: name, kind, value, reason });

  if (file.sizes.length > 1) throw fail('size', 'it has more than one <size>');
  let size: number | undefined;
  if (file.sizes[0] !== undefined) {
    const text = file.sizes[0].trim();
    size = parseByteCount(text);
    if (size === undefined)
      throw fail('size', `size ${quote(text)} is not a whole number of bytes up to 2^53−1`);
  }

  const hashes = new Map<ChecksumAlgorithm, Checksum>();
  for (const hash of file.hashes) {
    const algorithm = hash.type === undefined ? undefined : algorithmNamed(hash.type);
    if (algorithm === undefined) {
      skip('hash', hash.type ?? '', 'reget verifies only sha-512, sha-256, sha-1 and md5');
      continue;
    }
    const hex = checkHex(algorithm, hash.text, 'hash', (reason) => fail('hash', reason));
    const earlier = hashes.get(algorithm);
    if (earlier !== undefined && earlier.hex !== hex)
      throw fail('hash', `it has two different ${algorithm} hashes`);
    hashes.set(algorithm, { algorithm, hex });
  }

  const pieceLists: MetalinkPieces[] = [];
  for (const pieces of file.pieces) {
    const algorithm = pieces.type === undefined ? undefined : algorithmNamed(pieces.type);
    if (algorithm === undefined) {
      skip('pieces', pieces.type ?? '', 'reget verifies only sha-512, sha-256, sha-1 and md5');
      continue;
    }
    if (pieceLists.some((list) => list.algorithm === algorithm))
      throw fail('pieces', `it has two ${algorithm} piece lists`);
    pieceLists.push(checkPieces(pieces, algorithm, size, (reason) => fail('pieces', reason)));
  }

  const urls: MetalinkUrl[] = [];
  const metaurls: MetalinkMetaurl[] = [];
  for (const source of file.sources) {
    const resolved = resolveSource(source);
    if ('reason' in resolved) {
      const text = source.text.trim();
      // An empty URL has nothing to redact, and a failed URL parse costs microseconds each.
      skip(source.kind, text === '' ? '' : redactUrl(text), resolved.reason);
      continue;
    }
    const priority = parsePriority(source);
    if ('reason' in priority) {
      skip(source.kind, redactUrl(resolved.url), priority.reason);
      continue;
    }
    const ranked = priority.priority === undefined ? {} : { priority: priority.priority };
    if (source.kind === 'url') {
      const location = source.location?.trim().toLowerCase();
      urls.push({ url: resolved.url, ...ranked, ...(location ? { location } : {}) });
    } else {
      metaurls.push({ url: resolved.url, mediaType: source.mediaType?.trim() ?? '', ...ranked });
    }
  }

  return {
    name,
    ...(size === undefined ? {} : { size }),
    hashes: [...hashes.values()].sort(byStrength),
    ...(pieceLists.length === 0 ? {} : { pieces: pieceLists.sort(byStrength)[0] }),
    urls: unique(urls.sort(byPriority)),
    metaurls: unique(metaurls.sort(byPriority)),
  };
}

function checkPieces(
  pieces: RawPieces,
  algorithm: ChecksumAlgorithm,
  size: number | undefined,
  fail: (reason: string) => RegetError,
): MetalinkPieces {
  const lengthText = pieces.length?.trim() ?? '';
  const length = parseByteCount(lengthText);
  if (length === undefined || length === 0) {
    throw fail(`piece length ${quote(lengthText)} is not a positive whole number of bytes`);
  }
  let ordered = pieces.hashes;
  if (ordered.some((hash) => hash.index !== undefined)) {
    // Metalink 3 numbers its pieces; each of 0 … n−1 must appear exactly once.
    const byIndex = new Map<number, (typeof ordered)[number]>();
    for (const hash of ordered) {
      const index = parseByteCount(hash.index?.trim() ?? '');
      if (index === undefined || index >= ordered.length || byIndex.has(index)) {
        throw fail(`its piece numbers are not 0 to ${ordered.length - 1}, each once`);
      }
      byIndex.set(index, hash);
    }
    ordered = ordered.map((_, index) => byIndex.get(index)!);
  }
  const hashes = ordered.map((hash) => checkHex(algorithm, hash.text, 'piece hash', fail));
  if (size !== undefined) {
    const expected = Math.ceil(size / length);
    if (hashes.length !== expected) {
      throw fail(
        `it has ${hashes.length} piece hashes, but ${size} bytes in pieces of ${length} make ${expected}`,
      );
    }
  } else if (hashes.length === 0) {
    throw fail('its piece list has no hash');
  }
  return { algorithm, length, hashes };
}

function checkHex(
  algorithm: ChecksumAlgorithm,
  text: string,
  what: string,
  fail: (reason: string) => RegetError,
): string {
  const hex = text.trim();
  const bad = badHexReason(algorithm, hex, what);
  if (bad !== undefined) throw fail(bad);
  return hex.toLowerCase();
}

function unique<T extends { url: string }>(sources: T[]): T[] {
  const seen = new Set<string>();
  // Sorted best first already, so the copy kept is the best-ranked one.
  return sources.filter((source) => !seen.has(source.url) && seen.add(source.url) !== undefined);
}
