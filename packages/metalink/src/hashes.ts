import type { Checksum, ChecksumAlgorithm } from '@reget/core';

/** Hex digits of each digest reget verifies, strongest first (the order {@link strongestChecksum} uses). */
const hexLengths: Readonly<Record<ChecksumAlgorithm, number>> = {
  sha512: 128,
  sha256: 64,
  sha1: 40,
  md5: 32,
};
const strength: readonly ChecksumAlgorithm[] = ['sha512', 'sha256', 'sha1', 'md5'];

/**
 * The algorithm a hash type names, or undefined when reget does not verify it. Accepts the IANA
 * names Metalink 4 uses (`sha-256`), Metalink 3's (`sha256`) and BSD tags (`SHA256`), in any case.
 */
export function algorithmNamed(type: string): ChecksumAlgorithm | undefined {
  const name = type.trim().toLowerCase().replace(/-/g, '');
  // GNU cksum --tag writes SHA2-256 for what everyone else calls SHA256.
  const plain = name.startsWith('sha2') && name.length === 7 ? `sha${name.slice(4)}` : name;
  return Object.hasOwn(hexLengths, plain) ? (plain as ChecksumAlgorithm) : undefined;
}

/** The algorithm whose digest has `length` hex digits (32 md5, 40 sha1, 64 sha256, 128 sha512). */
export function algorithmOfHexLength(length: number): ChecksumAlgorithm | undefined {
  return strength.find((algorithm) => hexLengths[algorithm] === length);
}

/** Hex digits in one digest of `algorithm`. */
export function hexLengthOf(algorithm: ChecksumAlgorithm): number {
  return hexLengths[algorithm];
}

/**
 * Why `text` is not a digest of `algorithm` (wrong length, not hex), or undefined when it is;
 * `noun` names it in the reason. Surrounding whitespace is the caller's to trim.
 */
export function badHexReason(algorithm: ChecksumAlgorithm, text: string, noun = 'hash'): string | undefined {
  if (!/^[0-9a-fA-F]*$/.test(text)) return `a ${algorithm} ${noun} must be hex digits only`;
  const expected = hexLengths[algorithm];
  if (text.length !== expected)
    return `a ${algorithm} ${noun} has ${expected} hex digits, not ${text.length}`;
  return undefined;
}

/** Sorts by algorithm, strongest first (sha512, sha256, sha1, md5): the order `hashes` lists use. */
export function byStrength(a: { algorithm: ChecksumAlgorithm }, b: { algorithm: ChecksumAlgorithm }): number {
  return strength.indexOf(a.algorithm) - strength.indexOf(b.algorithm);
}

/**
 * The strongest of `hashes` (sha512, then sha256, sha1, md5), or undefined for none. md5 and sha1
 * still catch a broken transfer, but not a mirror that forged the file on purpose.
 */
export function strongestChecksum(hashes: readonly Checksum[]): Checksum | undefined {
  return [...hashes].sort(byStrength)[0];
}

/**
 * `checksum` as core's `algorithm:hex` string — what `download({ checksum })` and the CLI's
 * `--checksum` take — so a hash from a Metalink or a checksum list verifies the finished file.
 */
export function toChecksumOption(checksum: Checksum): string {
  return `${checksum.algorithm}:${checksum.hex}`;
}
