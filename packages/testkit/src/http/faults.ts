import type { IncomingHttpHeaders } from 'node:http';
import type { ServerFaults } from '../conformance/target.js';

/** A request as the embedded HTTP server received it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query as sent (for a proxied request, taken from the absolute URI). */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** True when the request line carried an absolute URI, i.e. it came through as a forward proxy. */
  readonly isProxied: boolean;
}

/** An error answer the server sends instead of the file. */
export interface ErrorPageFault {
  /** Status, e.g. 404, 500, 503, or 200 for "a 200 of junk". */
  readonly status: number;
  /** Body; default a short HTML page. */
  readonly body?: string | undefined;
  /** A Retry-After value to send (seconds or an HTTP-date). */
  readonly retryAfter?: string | undefined;
  /** How many requests get the error page before the server behaves again (default: all). */
  readonly times?: number | undefined;
}

/** Where the server redirects requests (other than those under `/moved/`, which are never redirected). */
export interface RedirectFault {
  /**
   * `second-origin`: the same path on the recording second server (plain HTTP, other port);
   * `same-origin`: `/moved<path>` on this server; `loop`: the same URL again, forever;
   * any other string: sent verbatim as Location (e.g. `file:///etc/passwd`).
   */
  readonly to: 'second-origin' | 'same-origin' | 'loop' | (string & {});
  /** Default 302. */
  readonly status?: 301 | 302 | 303 | 307 | 308 | undefined;
  /** How many requests are redirected (default: all). */
  readonly times?: number | undefined;
  /** Headers added to the redirect, as a download redirector adds `Digest` and `Link` (RFC 6249). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** Which validators the server sends with a file. */
export type ValidatorMode =
  /** A strong ETag and Last-Modified (the default). */
  | 'strong-etag'
  /** A weak ETag (`W/"…"`) and Last-Modified, as nginx sends after gzip. */
  | 'weak-etag'
  /** Last-Modified only. */
  | 'last-modified'
  /** Neither. */
  | 'none';

/** How the server answers HEAD. */
export type HeadMode = 'normal' | 403 | 405 | 501 | 'no-length' | 'hang';

/** Raw bytes written to the socket instead of an HTTP response; `Connection: close` is added if missing. */
export type RawResponder = (request: RecordedRequest) => string | Uint8Array | undefined;

/**
 * Faults of the embedded HTTP server: the conformance ones ({@link ServerFaults}) plus HTTP-only
 * switches (docs/faults.md §1–3, §7). `{}` restores correct behaviour.
 */
export interface HttpServerFaults extends ServerFaults {
  /** Serve a 206 even when If-Range does not match (FAULTS CHG-03). */
  readonly ignoreIfRange?: boolean | undefined;
  /** Answer a ranged GET with a 206 starting this many bytes away from the asked start (HTTP-05). */
  readonly shiftRangeBy?: number | undefined;
  readonly errorPage?: ErrorPageFault | undefined;
  /** Serve gzip (a 206 counts gzip bytes): when the request accepts it, or always (HTTP-09). */
  readonly gzip?: 'when-asked' | 'always' | undefined;
  readonly validators?: ValidatorMode | undefined;
  /** Send `Date` equal to `Last-Modified`, which makes the date a weak validator (CHG-02). */
  readonly weakLastModified?: boolean | undefined;
  readonly head?: HeadMode | undefined;
  /** Status for a `GET Range: bytes=0-0` probe (e.g. 403, 404, 503), instead of the 206. */
  readonly rangeProbeStatus?: number | undefined;
  /**
   * A 416 without `Content-Range: bytes *\/N` (HTTP-03 variant c): for a start at or past the end
   * (`true`), or for every range that does not start at 0 (`'any-range'`, a server that gets ranges wrong).
   */
  readonly unsatisfiableWithoutTotal?: boolean | 'any-range' | undefined;
  /** Send full-file answers with chunked encoding and no Content-Length (HTTP-12). */
  readonly chunked?: boolean | undefined;
  readonly redirect?: RedirectFault | undefined;
  /** Headers added to every file answer (e.g. Content-Disposition, `Accept-Ranges: none`). */
  readonly extraHeaders?: Readonly<Record<string, string>> | undefined;
  /** Answers with raw bytes when it returns some; lets a test send any malformed response. */
  readonly raw?: RawResponder | undefined;
}
