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
 * The time an MDTM timestamp names (RFC 3659 §2.3: UTC, `YYYYMMDDHHMMSS[.sss]`), or undefined when it
 * names no real time (month 13, February 30th).
 */
export function mdtmTime(mdtm: string | undefined): Date | undefined {
  if (mdtm === undefined) return undefined;
  const [year, month, day, hour, minute, second] = [0, 4, 6, 8, 10, 12].map((at, index) =>
    Number(mdtm.slice(at, index === 0 ? 4 : at + 2)),
  ) as [number, number, number, number, number, number];
  const fraction = mdtm.length > 15 ? Number(`0${mdtm.slice(14)}`) : 0;
  // Not Date.UTC(year, …): it reads the years 0–99 as 1900–1999. setUTCFullYear takes them as written.
  const date = new Date(Date.UTC(2000, 0, 1, hour, minute, second, Math.floor(fraction * 1000)));
  date.setUTCFullYear(year, month - 1, day);
  // Month 13 rolls into next year; a real timestamp reads back the same.
  const isReal =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return isReal ? date : undefined;
}

/**
 * The validator of an FTP file: its MDTM timestamp as `mdtm:<YYYYMMDDHHMMSS[.sss]>`. Weak, because a
 * file replaced within the server's time resolution keeps it; core compares the size separately
 * and re-reads an overlap before each resume.
 */
export function mdtmValidator(mdtm: string | undefined): Validator | undefined {
  return mdtm === undefined ? undefined : { value: `mdtm:${mdtm}`, isStrong: false };
}
