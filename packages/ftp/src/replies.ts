import { parseByteCount, type Validator } from '@reget/core';

/**
 * The size in a `213` reply to SIZE (RFC 3659 §4), parsed strictly: exactly `213 <digits>`, at most
 * 2^53−1 (FAULTS FTP-03, SEC-08). Anything else (`213 file: 213, Size =51`, a 20-digit number, a
 * negative) is undefined: an unknown size, never a guessed one.
 */
export function parseSizeReply(message: string): number | undefined {
  const match = /^213 ([0-9]+)\s*$/.exec(message);
  return match?.[1] === undefined ? undefined : parseByteCount(match[1]);
}

/**
 * The timestamp in a `213` reply to MDTM (RFC 3659 §3): `YYYYMMDDHHMMSS` in UTC with optional
 * fractional seconds, exactly as the server wrote it, or undefined for anything else.
 */
export function parseMdtmReply(message: string): string | undefined {
  const match = /^213 ([0-9]{14}(?:\.[0-9]{1,9})?)\s*$/.exec(message);
  return match?.[1];
}

/**
 * The validator of an FTP file: its MDTM timestamp as `mdtm:<YYYYMMDDHHMMSS[.sss]>`. Weak, because a
 * file replaced within the server's time resolution keeps it; core compares the size separately
 * and re-reads an overlap before each resume.
 */
export function mdtmValidator(mdtm: string | undefined): Validator | undefined {
  return mdtm === undefined ? undefined : { value: `mdtm:${mdtm}`, isStrong: false };
}
