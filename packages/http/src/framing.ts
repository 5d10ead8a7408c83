import { ErrorCode, parseByteCount, RegetError } from '@reget/core';

/** A parsed `Content-Range: bytes first-last/total` (RFC 9110 §14.4); `total` undefined for `*`. */
export interface ContentRange {
  readonly first: number;
  readonly last: number;
  readonly total: number | undefined;
}

// Unit and positions only; case-insensitive unit because RFC 9110 §14.1 says range units are.
const satisfiedRange = /^bytes[ \t]+([0-9]+)-([0-9]+)\/([0-9]+|\*)$/i;
const unsatisfiedRange = /^bytes[ \t]+\*\/([0-9]+)$/i;

function protocolError(message: string): RegetError {
  return new RegetError(ErrorCode.PROTOCOL, message);
}

/**
 * Parses a 206's Content-Range strictly (FAULTS HTTP-06, SEC-08): a missing, malformed, reversed
 * (`60-40/100`) or out-of-bounds (`40-99/99`) range, another unit, or a position above
 * Number.MAX_SAFE_INTEGER throws PROTOCOL, because RFC 9110 §14.4 forbids recombining such a body.
 */
export function parseContentRange(value: string | undefined): ContentRange {
  const match = value === undefined ? null : satisfiedRange.exec(value.trim());
  if (!match) throw protocolError('The server answered a range request with an invalid Content-Range.');
  const first = parseByteCount(match[1]!);
  const last = parseByteCount(match[2]!);
  const total = match[3] === '*' ? undefined : parseByteCount(match[3]!);
  if (first === undefined || last === undefined || (match[3] !== '*' && total === undefined)) {
    throw protocolError('The server sent a Content-Range with a position too large to handle.');
  }
  if (last < first || (total !== undefined && last >= total)) {
    throw protocolError('The server answered a range request with an impossible Content-Range.');
  }
  return { first, last, total };
}

/** The complete length of a 416's `Content-Range: bytes *\/N`, or undefined when absent or unusable. */
export function parseUnsatisfiedRange(value: string | undefined): number | undefined {
  const match = value === undefined ? null : unsatisfiedRange.exec(value.trim());
  return match ? parseByteCount(match[1]!) : undefined;
}

/**
 * Parses Content-Length strictly (RFC 9110 §8.6, FAULTS HTTP-08, SEC-08): undefined when absent; a
 * list of identical values counts once; conflicting, signed, non-digit or unsafe values throw PROTOCOL.
 * (Node's own parser already refuses most of these before we see them; this is the second fence.)
 */
export function parseContentLength(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((part) => part.trim());
  const sizes = new Set(parts.map((part) => parseByteCount(part)));
  const size = [...sizes][0];
  if (sizes.size !== 1 || size === undefined) {
    throw protocolError('The server sent an invalid or conflicting Content-Length.');
  }
  return size;
}

/** Whether a Content-Encoding value means the bytes are the file itself (absent or `identity`). */
export function isIdentityCoding(value: string | undefined): boolean {
  if (value === undefined) return true;
  return value.split(',').every((coding) => {
    const name = coding.trim().toLowerCase();
    return name === '' || name === 'identity';
  });
}
