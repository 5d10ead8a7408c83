import type { IncomingHttpHeaders } from 'node:http';
import type { PublishedDigest } from '@reget/core';
import { parseDictionary } from 'structured-headers';

type Algorithm = PublishedDigest['algorithm'];

/** Digest length in bytes: a value of another length is not a digest of that algorithm. */
const digestBytes: Readonly<Record<Algorithm, number>> = { sha512: 64, sha256: 32, sha1: 20, md5: 16 };

/** Strongest first, the order digests are reported in. */
const strength: readonly Algorithm[] = ['sha512', 'sha256', 'sha1', 'md5'];

/**
 * Repr-Digest keys (RFC 9530 §7.2, the "Hash Algorithms for HTTP Digest Fields" registry). `md5`
 * and `sha` are registered as deprecated but still sent, e.g. by XRootD's HTTP server; they detect
 * accidental damage as well as any, and core checks the strongest digest present.
 */
const reprAlgorithms: ReadonlyMap<string, Algorithm> = new Map([
  ['sha-512', 'sha512'],
  ['sha-256', 'sha256'],
  ['sha', 'sha1'],
  ['md5', 'md5'],
]);

/**
 * Digest algorithm names (RFC 3230 §4.1.1, RFC 5843), compared case-insensitively. MirrorBrain
 * sends `MD5`, `SHA` and `SHA-256` in separate headers; aria2 also reads `SHA-1`.
 */
const instanceAlgorithms: ReadonlyMap<string, Algorithm> = new Map([
  ['sha-512', 'sha512'],
  ['sha-256', 'sha256'],
  ['sha', 'sha1'],
  ['sha-1', 'sha1'],
  ['md5', 'md5'],
]);

// Standard alphabet, padding optional (RFC 4648 §4); checked again by re-encoding below.
const base64Text = /^[A-Za-z0-9+/]+={0,2}$/;

/** Hex of a digest of `algorithm`, or undefined when `bytes` has the wrong length. */
function hexOf(algorithm: Algorithm, bytes: Uint8Array): string | undefined {
  return bytes.length === digestBytes[algorithm] ? Buffer.from(bytes).toString('hex') : undefined;
}

/** Strict base64: canonical text only, so a value decodes to exactly one digest. */
function decodeBase64(text: string): Uint8Array | undefined {
  if (!base64Text.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  const canonical = bytes.toString('base64');
  return canonical.replace(/=+$/, '') === text.replace(/=+$/, '') ? bytes : undefined;
}

function headerText(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  // Repeated field lines combine with commas (RFC 9110 §5.3); Node joins most of them so already.
  return typeof value === 'string' ? value : value.join(', ');
}

function sortedByStrength(digests: Iterable<PublishedDigest>): PublishedDigest[] {
  return [...digests].sort((a, b) => strength.indexOf(a.algorithm) - strength.indexOf(b.algorithm));
}

/**
 * The digests of a `Repr-Digest` field (RFC 9530 §3): a Structured Fields Dictionary (RFC 9651)
 * of algorithm keys and byte sequences, e.g. `sha-256=:X48E9qOo…=:`. The whole field is ignored
 * when it does not parse (RFC 9651 §4.2); unknown algorithms and values of the wrong length are
 * skipped. Strongest first; never throws.
 */
export function parseReprDigest(value: string | readonly string[] | undefined): PublishedDigest[] {
  const text = headerText(value);
  if (text === undefined) return [];
  let dictionary: ReturnType<typeof parseDictionary>;
  try {
    dictionary = parseDictionary(text);
  } catch {
    return [];
  }
  const digests: PublishedDigest[] = [];
  for (const [key, member] of dictionary) {
    const algorithm = reprAlgorithms.get(key);
    const [item] = member;
    if (algorithm === undefined || !(item instanceof ArrayBuffer)) continue;
    const hex = hexOf(algorithm, new Uint8Array(item));
    if (hex !== undefined) digests.push({ algorithm, hex });
  }
  return sortedByStrength(digests);
}

/**
 * The digests of a `Digest` field (RFC 3230 §4.3.2, instance digests): comma-separated
 * `algorithm=base64` pairs, algorithm names in any case, e.g. `SHA-256=X48E9qOo…=, MD5=…`, and
 * possibly several field lines. Unknown algorithms, malformed pairs and values that are not the
 * base64 of a digest of the right length are skipped. An algorithm given twice with different
 * values contradicts itself and is dropped (as aria2 does). Strongest first; never throws.
 */
export function parseInstanceDigest(value: string | readonly string[] | undefined): PublishedDigest[] {
  const text = headerText(value);
  if (text === undefined) return [];
  const found = new Map<Algorithm, string | null>();
  for (const pair of text.split(',')) {
    const equals = pair.indexOf('=');
    if (equals < 0) continue;
    const algorithm = instanceAlgorithms.get(pair.slice(0, equals).trim().toLowerCase());
    const bytes = decodeBase64(pair.slice(equals + 1).trim());
    if (algorithm === undefined || bytes === undefined) continue;
    const hex = hexOf(algorithm, bytes);
    if (hex === undefined) continue;
    const earlier = found.get(algorithm);
    found.set(algorithm, earlier === undefined || earlier === hex ? hex : null);
  }
  const digests: PublishedDigest[] = [];
  for (const [algorithm, hex] of found) if (hex !== null) digests.push({ algorithm, hex });
  return sortedByStrength(digests);
}

/**
 * The digests of the whole representation that one response's headers publish: `Repr-Digest`
 * first (RFC 9530, which obsoletes `Digest`), then `Digest` for the algorithms Repr-Digest does not
 * name. `Content-Digest` is never read: it covers only that message's content, which for a 206 is a
 * part of the file (RFC 9530 §2).
 */
export function publishedDigestsOf(headers: IncomingHttpHeaders): PublishedDigest[] {
  const representation = parseReprDigest(headers['repr-digest']);
  const named = new Set(representation.map((digest) => digest.algorithm));
  const instance = parseInstanceDigest(headers.digest).filter((digest) => !named.has(digest.algorithm));
  return sortedByStrength([...representation, ...instance]);
}
