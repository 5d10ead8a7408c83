import { ErrorCode, parseChecksum, RegetError } from '@reget/core';
import { escapeControl } from './messages.js';

/**
 * Parsers that turn one option's text into a typed value, or throw BAD_INPUT with one sentence.
 * args.ts hands them to commander, which prefixes the option name.
 */

const rateUnits: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Parses a transfer rate such as `500K`, `2M`, `1.5m` or `65536` into bytes per second. Suffixes
 * are binary (K = 1024), as in curl and wget; a trailing `B` or `/s` is allowed. `0` means no
 * limit, as it does for curl and wget.
 */
export function parseRate(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:\/s)?$/i.exec(text.trim());
  const unit = rateUnits[match?.[2]?.toLowerCase() ?? ''];
  if (!match?.[1] || unit === undefined) {
    throw badInput(
      `"${text}" is not a rate: use a number of bytes per second with an optional K, M or G suffix.`,
    );
  }
  if (Number(match[1]) === 0) return 0;
  const bytesPerSecond = Math.floor(Number(match[1]) * unit);
  if (bytesPerSecond < 1 || !Number.isSafeInteger(bytesPerSecond)) {
    throw badInput(`The rate "${text}" must be at least 1 byte per second (or 0 for no limit).`);
  }
  return bytesPerSecond;
}

/** Parses a whole number between `min` and `max` (for `--jobs`, `--retries`, `--connections`). */
export function parseInteger(text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw badInput(`"${text}" must be a whole number from ${min} to ${max}.`);
  }
  return value;
}

/** Parses a positive number of seconds (decimals allowed) into milliseconds. */
export function parseSeconds(text: string): number {
  const seconds = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  const milliseconds = Math.round(seconds * 1000);
  if (!Number.isSafeInteger(milliseconds) || milliseconds < 1) {
    throw badInput(`"${text}" must be a positive number of seconds.`);
  }
  return milliseconds;
}

/** A request header given with `-H "Name: value"`. */
export interface HeaderLine {
  readonly name: string;
  readonly value: string;
}

/** Parses `Name: value`; the name must be an RFC 9110 token and the value free of line breaks. */
export function parseHeader(text: string): HeaderLine {
  const colon = text.indexOf(':');
  const name = colon > 0 ? text.slice(0, colon).trim() : '';
  const value = colon > 0 ? text.slice(colon + 1).trim() : '';
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(value)) {
    throw badInput('A header must look like "Name: value", on one line.');
  }
  return { name, value };
}

/** Adds a header to those already given; repeated names are joined with ", " (RFC 9110 §5.3). */
export function collectHeader(text: string, previous: Record<string, string> = {}): Record<string, string> {
  const { name, value } = parseHeader(text);
  const key = Object.keys(previous).find((existing) => existing.toLowerCase() === name.toLowerCase()) ?? name;
  const earlier = previous[key];
  return { ...previous, [key]: earlier === undefined ? value : `${earlier}, ${value}` };
}

/** Checks `--checksum algorithm:hex` with core's parser and returns it normalised (`sha256:abc…`). */
export function parseChecksumOption(text: string): string {
  // People copy `SHA256:…` from release pages; core's parser wants the algorithm in lower case.
  const { algorithm, hex } = parseChecksum(
    text.trim().replace(/^[A-Za-z0-9]+(?=[:=])/, (name) => name.toLowerCase()),
  );
  return `${algorithm}:${hex}`;
}

/** Checks `--host-key SHA256:<base64>`, the fingerprint form `ssh-keygen -l` prints. */
export function parseHostKey(text: string): string {
  if (!/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(text.trim())) {
    throw badInput(
      'A host key must be a SHA256 fingerprint like "SHA256:" followed by 43 base64 characters.',
    );
  }
  return text.trim();
}

function badInput(message: string): RegetError {
  // The messages quote what was typed: a line break in it must not break the one line.
  return new RegetError(ErrorCode.BAD_INPUT, escapeControl(message));
}
