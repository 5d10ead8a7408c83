import type { Adapter, Remote, RemoteStat, Validator } from './contract.js';
import type { DownloadEvent } from './events.js';
import { ByteRanges } from './ranges.js';
import { adapterFor, parseUrl, redactUrl } from './url.js';

/** Failures in a row (without a range fetched to its end in between) after which a mirror is dropped for the download. */
export const maxSourceFailures = 3;

/**
 * One place the file comes from: the download's URL (the primary) or a mirror. Lives for the whole
 * download; `remote` and `stat` are this attempt's.
 */
export class Source {
  readonly index: number;
  readonly url: URL;
  /** The URL without credentials, for events and messages. */
  readonly display: string;
  readonly adapter: Adapter;
  readonly host: string;
  remote: Remote | undefined;
  stat: RemoteStat | undefined;
  /** This source's own version identifier (mirrors of one file rarely share an ETag). */
  validator: Validator | undefined;
  /** Connections of this attempt reading from it now. */
  active = 0;
  /** Ranges it failed in a row, in this attempt. */
  failures = 0;
  /** Pieces it alone served that failed their hash, in this call. */
  pieceFailures = 0;
  /** The connections reading from it now, aborted when it is dropped. */
  readonly readers = new Set<AbortController>();
  #onRelease: (() => void)[] = [];
  /** Why it is no longer used in this download, once dropped. */
  dropped: string | undefined;
  /** Bytes it delivered that were written, in this call. */
  bytes = 0;
  /** Which byte ranges it wrote in this call (for junction checks, pieces and messages). */
  readonly served = new ByteRanges();
  /** Connection-milliseconds spent reading from it, for its per-connection rate. */
  connectionMs = 0;

  constructor(index: number, url: URL, adapter: Adapter) {
    this.index = index;
    this.url = url;
    this.display = redactUrl(url);
    this.adapter = adapter;
    this.host = url.host;
  }

  /** Resolves at the next release of one of its connections. */
  nextRelease(): Promise<void> {
    return new Promise((resolve) => this.#onRelease.push(resolve));
  }

  notifyRelease(): void {
    const waiting = this.#onRelease;
    this.#onRelease = [];
    for (const resolve of waiting) resolve();
  }

  get isPrimary(): boolean {
    return this.index === 0;
  }

  /** Bytes per second one connection gets from it, or undefined before enough data to tell. */
  get rate(): number | undefined {
    if (this.bytes === 0 || (this.bytes < 256 * 1024 && this.connectionMs < 500)) return undefined;
    return (this.bytes * 1000) / this.connectionMs;
  }

  /** Usable in this attempt: not dropped and answered its probe. */
  get isLive(): boolean {
    return this.dropped === undefined && this.remote !== undefined && this.stat !== undefined;
  }
}

/** The sources of one download: which are live, which connection reads from which. */
export class SourceSet {
  readonly #emit: (event: DownloadEvent) => void;
  #maxPerHost = Infinity;
  #maxPerSource = Infinity;

  readonly #adapters: readonly Adapter[];
  readonly #seen = new Set<string>();

  constructor(
    urls: readonly (string | URL)[],
    adapters: readonly Adapter[],
    emit: (event: DownloadEvent) => void,
  ) {
    this.#adapters = adapters;
    this.#emit = emit;
    for (const input of urls) {
      const url = parseUrl(input);
      // The same place twice is one source: it would only double its connections.
      if (this.#seen.has(url.href)) continue;
      this.#seen.add(url.href);
      this.#all.push(new Source(this.#all.length, url, adapterFor(url, adapters)));
    }
  }

  readonly #all: Source[] = [];

  get all(): readonly Source[] {
    return this.#all;
  }

  /**
   * Adds places a server announced (RFC 6249 duplicates) that are not sources yet and that an
   * adapter serves; returns the new sources. At most `limit` in all.
   */
  addAnnounced(urls: readonly string[], limit: number): Source[] {
    const added: Source[] = [];
    for (const text of urls) {
      if (this.#all.length >= limit) break;
      let url: URL;
      let adapter: Adapter;
      try {
        url = parseUrl(text);
        adapter = adapterFor(url, this.#adapters);
      } catch {
        continue;
      }
      if (this.#seen.has(url.href)) continue;
      this.#seen.add(url.href);
      const source = new Source(this.#all.length, url, adapter);
      this.#all.push(source);
      added.push(source);
    }
    return added;
  }

  /** More than one source: mirrors are checked against each other. */
  get isMulti(): boolean {
    return this.all.length > 1;
  }

  get primary(): Source {
    return this.#all[0]!;
  }

  live(): Source[] {
    return this.all.filter((source) => source.isLive);
  }

  /**
   * Starts an attempt: no remote is open yet, and no connection per host counted. With
   * `maxPerSource` 1 (mirrors, no connection count given) a source never gets a second connection:
   * mirrors often allow one per client.
   */
  beginAttempt(maxPerHost: number, maxPerSource = Infinity): void {
    this.#maxPerHost = maxPerHost;
    this.#maxPerSource = maxPerSource;
    for (const source of this.all) {
      source.remote = undefined;
      source.stat = undefined;
      source.active = 0;
      // Failures count within an attempt: an outage spanning attempts is the retry budget's.
      source.failures = 0;
    }
  }

  /** Connections open to `host` across every source on it. */
  #activeOn(host: string): number {
    return this.all.reduce((sum, source) => sum + (source.host === host ? source.active : 0), 0);
  }

  /** How many connections the live sources can take together (per-host limits applied). */
  capacity(): number {
    const byHost = new Map<string, number>();
    for (const source of this.live()) {
      const limit = source.adapter.capabilities.segments ? this.#maxPerHost : 1;
      byHost.set(source.host, Math.min(this.#maxPerHost, (byHost.get(source.host) ?? 0) + limit));
    }
    let total = 0;
    for (const count of byHost.values()) total += count;
    return total;
  }

  /**
   * A live source for one more connection: the least busy (then the fewest failures, then the
   * earliest listed) whose host has room. `avoid` is skipped while another source has room.
   */
  acquire(avoid?: Source): Source | undefined {
    const candidates = this.live().filter((source) => {
      if (this.#activeOn(source.host) >= this.#maxPerHost) return false;
      if (source.active >= this.#maxPerSource) return false;
      return source.adapter.capabilities.segments || source.active === 0;
    });
    const preferred = candidates.filter((source) => source !== avoid);
    const pool = preferred.length > 0 ? preferred : candidates;
    pool.sort((a, b) => a.active - b.active || a.failures - b.failures || a.index - b.index);
    const chosen = pool[0];
    if (chosen) chosen.active += 1;
    return chosen;
  }

  release(source: Source): void {
    source.active = Math.max(0, source.active - 1);
    source.notifyRelease();
  }

  /**
   * Stops using a source for the rest of the download, and says why (once). Its connections are
   * aborted at once (each drains what it already received to disk first).
   */
  drop(source: Source, reason: string): void {
    if (source.dropped !== undefined) return;
    source.dropped = reason;
    this.#emit({ type: 'source-dropped', url: source.display, reason });
    for (const reader of source.readers) reader.abort(new DroppedSource(reason));
  }

  /** Resolves once at most `allowance` connections still read from `source`. */
  async settled(source: Source, allowance: number): Promise<void> {
    while (source.active > allowance) await source.nextRelease();
  }

  /** Bytes per source for the result and the progress events. */
  report(): SourceReport[] {
    return this.all.map((source) => ({
      url: source.display,
      bytes: source.bytes,
      dropped: source.dropped,
    }));
  }

  /** Which source wrote which ranges in this call, in words (for a checksum failure). */
  describeServed(): string {
    const parts = this.all
      .filter((source) => source.served.size > 0)
      .map((source) => {
        const ranges = source.served
          .toArray()
          .slice(0, 4)
          .map(([start, end]) => `${start}-${end - 1}`)
          .join(', ');
        const more = source.served.toArray().length > 4 ? ', …' : '';
        return `${source.display} served bytes ${ranges}${more}`;
      });
    return parts.join('; ');
  }
}

/** Why a connection to a dropped source was aborted. */
export class DroppedSource extends Error {
  constructor(reason: string) {
    super(reason);
  }
}

/** What one source contributed to a download. */
export interface SourceReport {
  /** The source's URL without credentials. */
  readonly url: string;
  /** Bytes it delivered that were written to the file in this call. */
  readonly bytes: number;
  /** Why it was dropped, if it was. */
  readonly dropped: string | undefined;
}
