import type { IncomingHttpHeaders } from 'node:http';
import type { Validator } from '@reget/core';
import { parseHttpDate } from './http-date.js';

const etagPrefix = 'etag:';
const lastModifiedPrefix = 'last-modified:';

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE (RFC 9110 §8.8.3)
const entityTag = /^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;

/** An HTTP-date normalised to IMF-fixdate, or undefined when it is not one. */
function normaliseDate(value: string | undefined): string | undefined {
  return parseHttpDate(value)?.toUTCString();
}

/**
 * The validator of one response: a strong ETag (`etag:"abc"`, strong) when there is one, else the
 * Last-Modified date (`last-modified:<IMF-fixdate>`, not strong), else a weak ETag (`etag:W/"abc"`,
 * not strong), else undefined. The same rule on every response, so core can compare values.
 */
export function validatorOf(headers: IncomingHttpHeaders): Validator | undefined {
  const etag = headers.etag?.trim();
  const isEtag = etag !== undefined && entityTag.test(etag);
  if (isEtag && !etag.startsWith('W/')) return { value: `${etagPrefix}${etag}`, isStrong: true };
  const lastModified = normaliseDate(headers['last-modified']);
  if (lastModified !== undefined) return { value: `${lastModifiedPrefix}${lastModified}`, isStrong: false };
  if (isEtag) return { value: `${etagPrefix}${etag}`, isStrong: false };
  return undefined;
}

/**
 * The Last-Modified date of a response when it is strong by RFC 9110 §8.8.2.2 — the response's own
 * Date is at least one second later, so the file did not change twice within that second — else
 * undefined. Used to decide whether a date may go in If-Range.
 */
export function strongLastModifiedOf(headers: IncomingHttpHeaders): string | undefined {
  const lastModified = parseHttpDate(headers['last-modified']);
  const date = parseHttpDate(headers.date);
  if (lastModified === undefined || date === undefined) return undefined;
  // Compared as parsed, not with Date.parse, which reads the year 0049 as 2049.
  return date.getTime() - lastModified.getTime() >= 1000 ? lastModified.toUTCString() : undefined;
}

/**
 * The If-Range value for a stored validator (RFC 9110 §13.1.5), or undefined when none may be sent:
 * a strong ETag always; a Last-Modified date only when this remote has seen it to be strong; a weak
 * ETag never.
 */
export function ifRangeFor(
  validator: Validator | undefined,
  strongDates: ReadonlySet<string>,
): string | undefined {
  if (validator === undefined) return undefined;
  const { value } = validator;
  if (value.startsWith(etagPrefix)) {
    const etag = value.slice(etagPrefix.length);
    return entityTag.test(etag) && !etag.startsWith('W/') ? etag : undefined;
  }
  if (value.startsWith(lastModifiedPrefix)) {
    const date = value.slice(lastModifiedPrefix.length);
    return strongDates.has(date) ? date : undefined;
  }
  return undefined;
}
