import { parseByteCount } from '@reget/core';
import { parseHttpDate } from './http-date.js';

/**
 * Milliseconds a `Retry-After` value asks us to wait (RFC 9110 §10.2.3): delay-seconds, or an
 * HTTP-date measured against `now`. Undefined when absent or unparseable; a date in the past is 0.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^[0-9]+$/.test(text)) {
    const seconds = parseByteCount(text);
    return seconds === undefined ? undefined : seconds * 1000;
  }
  const when = parseHttpDate(text, now);
  return when === undefined ? undefined : Math.max(0, when.getTime() - now);
}
