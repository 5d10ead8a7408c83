import { ErrorCode, RegetError, type RegetErrorDetails } from '@reget/core';

/** 16 MiB: far above any real Metalink or checksum list, far below what would hurt to hold in memory. */
export const defaultMaxBytes = 16 * 1024 * 1024;

/**
 * Refuses `text` when it is longer than `maxBytes` in UTF-8, before any parsing: the parsers hold
 * the whole input and what they build from it, so an endless or enormous download must stop here.
 * `details` says which parser refused it.
 */
export function refuseOversized(
  text: string,
  maxBytes: number,
  what: string,
  details: RegetErrorDetails,
): void {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RegetError(ErrorCode.BAD_INPUT, `maxBytes must be a whole number of bytes, not ${maxBytes}.`);
  }
  // A string of n UTF-16 units is at least n bytes in UTF-8, so the cheap test comes first.
  if (text.length > maxBytes || Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `${what} is larger than ${maxBytes} bytes; raise maxBytes if it is really that big.`,
      { details },
    );
  }
}

/**
 * Untrusted text as a short, quoted, single-line excerpt for an error message, long values cut in
 * the middle. JSON.stringify escapes C0 controls only; DEL, C1 controls (U+009B is a terminal's
 * CSI, U+0085 a line break), format characters (U+202E reverses the text after it) and the Unicode
 * line separators are escaped here too, so a message can neither break a line nor drive a terminal.
 */
export function quote(text: string, limit = 60): string {
  const short = text.length > limit ? `${text.slice(0, limit - 20)}…${text.slice(-19)}` : text;
  return JSON.stringify(short).replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (character) => {
    const code = character.codePointAt(0) ?? 0;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
