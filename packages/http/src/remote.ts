import type { IncomingHttpHeaders } from 'node:http';
import {
  ErrorCode,
  type ReadRequest,
  type ReadResponse,
  RegetError,
  type Remote,
  type RemoteStat,
} from '@reget/core';
import { framedBody } from './body.js';
import { discard, type Exchange, type HttpClient } from './client.js';
import { fileNameFromDisposition } from './disposition.js';
import { abortError } from './failure.js';
import { isIdentityCoding, parseContentLength, parseContentRange, parseUnsatisfiedRange } from './framing.js';
import { parseHttpDate } from './http-date.js';
import { publishedOf } from './published.js';
import { errorForStatus } from './status.js';
import { ifRangeFor, strongLastModifiedOf, validatorOf } from './validator.js';

// The Range header of a read: `bytes=start-` or `bytes=start-last` (RFC 9110 §14.1.2).
function rangeHeader(start: number, end: number | undefined): string | undefined {
  if (start === 0 && end === undefined) return undefined;
  return `bytes=${start}-${end === undefined ? '' : end - 1}`;
}

function acceptsRangesOf(headers: IncomingHttpHeaders): boolean | undefined {
  const value = headers['accept-ranges']?.trim().toLowerCase();
  if (value === undefined) return undefined;
  if (value === 'none') return false;
  return value.split(',').some((unit) => unit.trim() === 'bytes') ? true : undefined;
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

/** What the HTTP adapter's `stat` reports: core's {@link RemoteStat} and what only HTTP can tell. */
export interface HttpRemoteStat extends RemoteStat {
  /**
   * A Metalink 4 document describing the file, as the server announced it (RFC 6249 §4: `Link:
   * <…>; rel=describedby; type="application/metalink4+xml"`), without credentials. Not fetched.
   */
  readonly metalinkUrl?: string | undefined;
}

/**
 * One remote HTTP(S) file, opened for one attempt. It answers stat with HEAD (falling back to
 * `GET Range: bytes=0-0`) and read with a ranged GET, and reports what the server said faithfully;
 * core compares offsets, totals and validators and decides (DESIGN "The contract").
 */
export class HttpRemote implements Remote {
  readonly #client: HttpClient;
  readonly #headTimeoutMs: number;
  /** Last-Modified dates seen to be strong in this remote's responses (RFC 9110 §8.8.2.2). */
  readonly #strongDates = new Set<string>();

  constructor(client: HttpClient, headTimeoutMs: number) {
    this.#client = client;
    this.#headTimeoutMs = headTimeoutMs;
  }

  /**
   * Probes the remote (FAULTS HTTP-10, HTTP-11, HTTP-13): HEAD first; when HEAD is refused, hangs
   * or gives no usable length, `GET Range: bytes=0-0` and its Content-Range. A failed probe means
   * "size unknown", never "not found" — unless the GET itself says 404/410 (or 401).
   */
  async stat(signal: AbortSignal): Promise<HttpRemoteStat> {
    const head = await this.#head(signal);
    if (head !== undefined && head.size !== undefined) return head;
    const probe = await this.#rangeProbe(signal);
    // HEAD's digests only when the probe has none and names the same version (or neither names one).
    const published =
      head !== undefined && probe.digests === undefined && head.validator?.value === probe.validator?.value
        ? head
        : probe;
    return {
      size: probe.size,
      validator: probe.validator ?? head?.validator,
      acceptsRanges: probe.acceptsRanges ?? head?.acceptsRanges,
      url: probe.url,
      suggestedFileName: probe.suggestedFileName ?? head?.suggestedFileName,
      modifiedAt: probe.modifiedAt ?? head?.modifiedAt,
      digests: published.digests,
      duplicates: published.duplicates,
      metalinkUrl: probe.metalinkUrl ?? head?.metalinkUrl,
    };
  }

  /**
   * Asks for bytes `[start, end)` with `Range` and, when the stored validator allows it, `If-Range`
   * (RFC 9110 §13.1.5, §14.2), and reports the answer as it is: a 206's Content-Range parsed
   * strictly, a 200 as the whole file from 0, a 416 as unsatisfiable. Error statuses throw.
   */
  async read(request: ReadRequest): Promise<ReadResponse> {
    const { start, end, signal } = request;
    if (
      !Number.isSafeInteger(start) ||
      start < 0 ||
      (end !== undefined && (!Number.isSafeInteger(end) || end <= start))
    ) {
      throw new RegetError(ErrorCode.BAD_INPUT, `Cannot read the byte range [${start}, ${end ?? 'end'}).`);
    }
    const range = rangeHeader(start, end);
    const ifRange = range === undefined ? undefined : ifRangeFor(request.validator, this.#strongDates);
    const exchange = await this.#client.exchange({ method: 'GET', range, ifRange, signal });
    const { status, headers, body } = exchange;
    const host = exchange.url.host;
    this.#observe(headers);
    try {
      if (status === 206) return this.#partialContent(exchange, signal);
      if (status === 200) {
        const length = parseContentLength(headers['content-length']);
        const validator = validatorOf(headers);
        return {
          start: 0,
          end: length,
          total: length,
          validator,
          body: framedBody(body, { expected: length, host, signal }),
          // A coded whole body is stored as sent, but its length is no file size to compare with.
          stat: this.#statOf(exchange, {
            size: isIdentityCoding(headers['content-encoding']) ? length : undefined,
            acceptsRanges: acceptsRangesOf(headers),
          }),
        };
      }
      if (status === 416) {
        discard(body);
        const total = parseUnsatisfiedRange(headers['content-range']);
        return {
          start,
          end: undefined,
          total,
          validator: validatorOf(headers),
          isUnsatisfiable: true,
          body: emptyBody(),
        };
      }
      throw errorForStatus(status, headers['retry-after'], exchange.url);
    } catch (error) {
      discard(body);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.#client.close();
  }

  #partialContent(exchange: Exchange, signal: AbortSignal): ReadResponse {
    const { headers, body } = exchange;
    const host = exchange.url.host;
    if (!isIdentityCoding(headers['content-encoding'])) {
      // Positions would count encoded bytes (RFC 9110 §14.1.2, FAULTS HTTP-09): never appendable.
      // Core restarts from zero (a whole coded body is stored as sent), or fails if restart is refused.
      throw new RegetError(
        ErrorCode.RANGE_NOT_SUPPORTED,
        `${host} sent a compressed range, which cannot be resumed.`,
        {
          retryable: false,
        },
      );
    }
    if (/^\s*multipart\/byteranges/i.test(headers['content-type'] ?? '')) {
      throw new RegetError(
        ErrorCode.PROTOCOL,
        `${host} answered one range with several (multipart/byteranges).`,
      );
    }
    const { first, last, total } = parseContentRange(headers['content-range']);
    const span = last - first + 1;
    const length = parseContentLength(headers['content-length']);
    if (length !== undefined && length !== span) {
      throw new RegetError(
        ErrorCode.PROTOCOL,
        `${host} sent a Content-Length that disagrees with its Content-Range.`,
      );
    }
    return {
      start: first,
      end: last + 1,
      total,
      validator: validatorOf(headers),
      body: framedBody(body, { expected: span, host, signal }),
      stat: this.#statOf(exchange, { size: total, acceptsRanges: true }),
    };
  }

  /** What an answer to a read says about the remote, as `stat` would (see ReadResponse.stat). */
  #statOf(
    exchange: Exchange,
    known: { size: number | undefined; acceptsRanges: boolean | undefined },
  ): HttpRemoteStat {
    const { headers } = exchange;
    return {
      ...known,
      validator: validatorOf(headers),
      url: exchange.url.href,
      suggestedFileName: fileNameFromDisposition(headers['content-disposition']),
      modifiedAt: parseHttpDate(headers['last-modified']),
      ...publishedOf(exchange),
    };
  }

  /** HEAD, or undefined when it is skipped, refused, or did not answer within the HEAD timeout. */
  async #head(signal: AbortSignal): Promise<HttpRemoteStat | undefined> {
    if (this.#headTimeoutMs === 0) return undefined;
    // A plain controller and timer rather than AbortSignal.any(AbortSignal.timeout()): on Node 20 the
    // composite's timeout signal can be garbage-collected before it fires, and the HEAD hangs (seen
    // under load in the full test run).
    const head = new AbortController();
    const onAbort = () => head.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => head.abort(), this.#headTimeoutMs);
    let exchange: Exchange;
    try {
      exchange = await this.#client.exchange({ method: 'HEAD', signal: head.signal });
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      if (head.signal.aborted) return undefined;
      throw error;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
    const { status, headers, body } = exchange;
    discard(body);
    this.#observe(headers);
    if (status < 200 || status > 299) return undefined;
    // HEAD may describe another representation (RFC 9110 §9.3.2): a coded length is no file size.
    const size = isIdentityCoding(headers['content-encoding'])
      ? parseContentLength(headers['content-length'])
      : undefined;
    return {
      size,
      validator: validatorOf(headers),
      acceptsRanges: acceptsRangesOf(headers),
      url: exchange.url.href,
      suggestedFileName: fileNameFromDisposition(headers['content-disposition']),
      modifiedAt: parseHttpDate(headers['last-modified']),
      ...publishedOf(exchange),
    };
  }

  /** `GET Range: bytes=0-0`: the total from Content-Range, or from a 200's length. */
  async #rangeProbe(signal: AbortSignal): Promise<HttpRemoteStat> {
    const exchange = await this.#client.exchange({ method: 'GET', range: 'bytes=0-0', signal });
    const { status, headers, body } = exchange;
    discard(body);
    this.#observe(headers);
    if (status === 404 || status === 410 || status === 401 || status === 407) {
      throw errorForStatus(status, headers['retry-after'], exchange.url);
    }
    const known = {
      url: exchange.url.href,
      suggestedFileName: fileNameFromDisposition(headers['content-disposition']),
      modifiedAt: parseHttpDate(headers['last-modified']),
      // Digests on a 206 describe the whole file (Repr-Digest, Digest); Content-Digest is not read.
      ...publishedOf(exchange),
    };
    const validator = validatorOf(headers);
    const isIdentity = isIdentityCoding(headers['content-encoding']);
    if (status === 206 && isIdentity) {
      try {
        const { total } = parseContentRange(headers['content-range']);
        return { ...known, size: total, validator, acceptsRanges: true };
      } catch {
        // A malformed probe answer leaves the size unknown; a read will judge the real response.
      }
    }
    if (status === 200 && isIdentity) {
      return {
        ...known,
        size: parseContentLength(headers['content-length']),
        validator,
        acceptsRanges: false,
      };
    }
    if (status === 416) {
      // `bytes */0`: the file is empty, the one case where 0-0 cannot be satisfied (FAULTS HTTP-13).
      return {
        ...known,
        size: parseUnsatisfiedRange(headers['content-range']),
        validator,
        acceptsRanges: undefined,
      };
    }
    return { ...known, size: undefined, validator, acceptsRanges: undefined };
  }

  #observe(headers: IncomingHttpHeaders): void {
    const date = strongLastModifiedOf(headers);
    if (date !== undefined) this.#strongDates.add(date);
  }
}
