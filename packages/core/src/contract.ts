/**
 * The contract between core and a protocol adapter (docs/design.md, "The contract").
 *
 * An adapter says which URL schemes it handles and opens one remote per attempt. A remote answers
 * two questions — `stat` (how big, which version, can it serve ranges) and `read` (bytes from an
 * offset, and what the server said about them). Everything about files, offsets, retries and
 * deciding stays in core; adapters only speak their protocol and classify failures as RegetError.
 */

/**
 * Identifies one version of a remote file. Core compares validators by `value` only; the adapter
 * chooses the encoding, prefixed by its kind (for example `etag:"abc"`, `last-modified:…`,
 * `mdtm:20260101120000`, `sftp:1048576:1764000000`) so it can turn a stored one back into a
 * protocol precondition such as If-Range.
 */
export interface Validator {
  readonly value: string;
  /**
   * True when equal values guarantee byte-identical content (an HTTP strong ETag). When false or
   * absent, core re-reads a small overlap window before each resume and compares it with the disk.
   */
  readonly isStrong: boolean;
}

/** What a remote says about itself before any byte moves. */
export interface RemoteStat {
  /** Size in bytes, or undefined when the server does not say. Never guessed. */
  readonly size: number | undefined;
  /** The version identifier, or undefined when the protocol offers none. */
  readonly validator: Validator | undefined;
  /** true: serves byte ranges; false: known not to; undefined: unknown (core tries and checks). */
  readonly acceptsRanges: boolean | undefined;
  /** Final URL after redirects, without credentials; for display only (the journal keeps the original). */
  readonly url: string;
  /** A server-suggested file name (Content-Disposition), raw and untrusted; core sanitises it. */
  readonly suggestedFileName?: string | undefined;
  /**
   * When the remote file was last modified (HTTP Last-Modified, FTP MDTM, SFTP mtime), if the server
   * says. The finished file gets this modification time, so a later run can tell by size and time
   * that it is still the remote's current version (as wget does).
   */
  readonly modifiedAt?: Date | undefined;
  /**
   * Digests of the whole file that the server published with its answer (HTTP `Repr-Digest`,
   * RFC 9530, or `Digest`, RFC 3230), decoded to hex. Core checks the finished file against the
   * strongest one unless the caller gave a checksum; a mismatch keeps the bytes as `.corrupt`.
   */
  readonly digests?: readonly PublishedDigest[] | undefined;
  /**
   * Other places that serve the same file, as the server announced them (RFC 6249 `Link:
   * <…>; rel=duplicate`), absolute, best first (by `pri`). Core uses them only when asked to.
   */
  readonly duplicates?: readonly string[] | undefined;
}

/** A digest a server published for the whole file (see {@link RemoteStat.digests}). */
export interface PublishedDigest {
  readonly algorithm: 'sha256' | 'sha512' | 'sha1' | 'md5';
  /** Lower-case hex. */
  readonly hex: string;
}

/** A request for bytes `[start, end)` of the remote. */
export interface ReadRequest {
  /** Offset of the first byte wanted. */
  readonly start: number;
  /** Exclusive end; undefined means "to the end of the file". */
  readonly end?: number | undefined;
  /**
   * The validator of the bytes already on disk. Pass it to the server where the protocol can
   * check it (HTTP If-Range, when strong); core checks the answer's validator itself either way.
   */
  readonly validator?: Validator | undefined;
  /** Aborts the request and its body; the adapter must release the connection promptly. */
  readonly signal: AbortSignal;
}

/** What the server answered to a {@link ReadRequest}, and the bytes. */
export interface ReadResponse {
  /**
   * Offset of the body's first byte as the server declared it: the requested start for a honoured
   * range, 0 when the server ignored the range and sends the whole file (HTTP 200).
   */
  readonly start: number;
  /** Exclusive end of what the server promised to send (Content-Range last-pos + 1), if declared. */
  readonly end: number | undefined;
  /** Total size the server declared with this answer (Content-Range complete-length, SIZE). */
  readonly total: number | undefined;
  /** Validator the server sent with this answer, if any. */
  readonly validator: Validator | undefined;
  /**
   * True when the server said the requested start is at or past the end of the file (HTTP 416);
   * `body` is then empty and `total` is what the server reported, if anything.
   */
  readonly isUnsatisfiable?: boolean | undefined;
  /**
   * The bytes, in order from `start`. It must end normally only when the protocol's framing says the
   * response is complete (Content-Length reached, FTP 226, SFTP EOF or `end`); an early end must
   * raise a RegetError (PARTIAL). A body that raises PROTOCOL mid-way voids every byte it delivered:
   * core rolls them back. RANGE_NOT_SUPPORTED mid-way (an FTP server that ignored REST, found by
   * counting) voids them too, and core goes on from zero with one connection. Breaking out of
   * iteration or aborting the signal releases it.
   */
  readonly body: AsyncIterable<Uint8Array>;
  /**
   * What this answer says about the remote, when it can stand in for a probe (an HTTP 200 or 206
   * carries size, validator and dates). An adapter that declares
   * {@link AdapterCapabilities.probesWithRead} fills it, and core then starts a fresh download
   * with one request instead of a probe followed by a read.
   */
  readonly stat?: RemoteStat | undefined;
}

/** One opened remote, used for a single attempt and then closed. */
export interface Remote {
  /** Asks the server for size, validator and range support (HTTP HEAD, FTP SIZE+MDTM, SFTP stat). */
  stat(signal: AbortSignal): Promise<RemoteStat>;
  /**
   * Starts a read. May be called again while an earlier body is still streaming (segmented
   * downloads): each call must be independent, opening another connection if the protocol needs one.
   * A server that refuses to start at an offset (FTP REST refused) throws RANGE_NOT_SUPPORTED.
   */
  read(request: ReadRequest): Promise<ReadResponse>;
  /** Releases every connection the remote holds. Safe to call twice. */
  close(): Promise<void>;
}

/** What core gives an adapter when it opens a remote. */
export interface OpenContext {
  readonly signal: AbortSignal;
  /** Give up connecting (TCP + TLS/SSH handshake + login) after this long: throw TIMEOUT. */
  readonly connectTimeoutMs: number;
}

/** What an adapter can do; the conformance suite runs the slices that apply. */
export interface AdapterCapabilities {
  /** Can serve from an offset (HTTP Range, FTP REST, SFTP READ at offsets). */
  readonly ranges: boolean;
  /** Can serve several ranges at once on independent connections. */
  readonly segments: boolean;
  /** A read's answer carries what a probe would say ({@link ReadResponse.stat}). */
  readonly probesWithRead?: boolean | undefined;
}

/**
 * A protocol adapter: which URL schemes it handles and how to open one. Configuration (headers,
 * CA, credentials, host keys) is given when the adapter object is created.
 */
export interface Adapter {
  /** Short name for messages, e.g. `http`. */
  readonly name: string;
  /** URL schemes without the colon, lower case, e.g. `['http', 'https']`. */
  readonly schemes: readonly string[];
  readonly capabilities: AdapterCapabilities;
  /** Opens the remote at `url` (credentials may be in the URL; never print them). */
  open(url: URL, context: OpenContext): Promise<Remote>;
  /**
   * Optional. Releases what the adapter keeps between remotes (idle pooled connections, keep-alive
   * sockets), so that a process can exit at once. Remotes still open stay usable; the adapter may
   * be used again afterwards and then connects anew. Call it when a queue or a program is done with
   * the adapter. Safe to call twice.
   */
  close?(): Promise<void>;
}
