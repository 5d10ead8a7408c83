import type { ServerResponse } from 'node:http';
import type { ErrorPageFault, HeadMode, ValidatorMode } from './faults.js';
import type { HttpFileVersion } from './files.js';

/** The validator headers of a file version in the given mode. */
export function validatorHeaders(
  file: Pick<HttpFileVersion, 'tag' | 'mtime'>,
  mode: ValidatorMode,
  isDateWeak: boolean,
): Record<string, string> {
  const headers: Record<string, string> = {};
  const lastModified = file.mtime.toUTCString();
  if (mode === 'strong-etag') headers.ETag = `"${file.tag}"`;
  if (mode === 'weak-etag') headers.ETag = `W/"${file.tag}"`;
  if (mode !== 'none') headers['Last-Modified'] = lastModified;
  // RFC 9110 §8.8.2.2: a date is weak unless Date is at least a second later.
  if (isDateWeak) headers.Date = lastModified;
  return headers;
}

/** An error page (or, with status 200, a page of junk), with Retry-After when asked. */
export function answerErrorPage(response: ServerResponse, fault: ErrorPageFault): void {
  const body = fault.body ?? `<html><body><h1>${fault.status}</h1></body></html>`;
  const headers: Record<string, string | number> = {
    'Content-Type': 'text/html',
    'Content-Length': Buffer.byteLength(body),
  };
  if (fault.retryAfter !== undefined) headers['Retry-After'] = fault.retryAfter;
  response.writeHead(fault.status, headers);
  response.end(body);
}

/** A HEAD answer in one of the broken modes; `hang` never answers at all. */
export function answerHead(
  response: ServerResponse,
  mode: Exclude<HeadMode, 'normal'>,
  headers: Record<string, string>,
): void {
  if (mode === 'hang') return;
  if (mode === 'no-length') {
    response.writeHead(200, headers);
    response.end();
    return;
  }
  response.writeHead(mode, { 'Content-Length': 0 });
  response.end();
}

/** The first range of a `Range: bytes=a-b` header (a suffix range counts from the end), or undefined. */
export function requestedRange(
  header: string | undefined,
  size: number,
): { start: number; last: number } | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)/i.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') return { start: Math.max(0, size - Number(match[2])), last: size - 1 };
  const start = Number(match[1]);
  const last = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  return { start, last };
}

/** A 206 whose Content-Range starts `shift` bytes away from what was asked (FAULTS HTTP-05). */
export function answerShifted(
  response: ServerResponse,
  file: Pick<HttpFileVersion, 'content'>,
  range: { start: number; last: number },
  shift: number,
  headers: Record<string, string>,
): void {
  const size = file.content.length;
  const first = Math.min(Math.max(0, range.start + shift), Math.max(0, range.last));
  const body = file.content.subarray(first, range.last + 1);
  response.writeHead(206, {
    ...headers,
    'Content-Range': `bytes ${first}-${range.last}/${size}`,
    'Content-Length': body.length,
  });
  response.end(body);
}

/** The whole file as a chunked 200 without Content-Length (FAULTS HTTP-12). */
export function answerChunked(
  response: ServerResponse,
  file: Pick<HttpFileVersion, 'content'>,
  headers: Record<string, string>,
): void {
  response.writeHead(200, { ...headers, 'Transfer-Encoding': 'chunked' });
  const chunkSize = 16 * 1024;
  for (let offset = 0; offset < file.content.length; offset += chunkSize) {
    response.write(file.content.subarray(offset, offset + chunkSize));
  }
  response.end();
}

/** A 416 that does not say how large the file is (FAULTS HTTP-03 variant c). */
export function answerUnsatisfiableWithoutTotal(response: ServerResponse): void {
  response.writeHead(416, { 'Content-Type': 'text/plain', 'Content-Length': 0 });
  response.end();
}

/** A redirect to `location` with an empty body and any extra `headers`. */
export function answerRedirect(
  response: ServerResponse,
  status: number,
  location: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  response.writeHead(status, { ...headers, Location: location, 'Content-Length': 0 });
  response.end();
}

/** The `Authorization` value of HTTP basic auth for these credentials. */
export function basicAuthorization(credentials: {
  readonly username: string;
  readonly password: string;
}): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

/** A 401 asking for basic auth. */
export function answerUnauthorized(response: ServerResponse): void {
  response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="reget"', 'Content-Length': 0 });
  response.end();
}
