import { quote } from './untrusted.js';

/** The URL schemes kept from a Metalink: the ones reget's adapters download. */
export const downloadSchemes: readonly string[] = ['http', 'https', 'ftp', 'ftps', 'sftp'];

/** A place to download a file from, as listed by a Metalink. */
export interface MetalinkUrl {
  /** An absolute http, https, ftp, ftps or sftp URL (relative ones resolved against the base URL). */
  readonly url: string;
  /**
   * Lower is better, 1 is best, as in Metalink 4 (1 to 999999). A Metalink 3 `preference`
   * (0 to 100, 100 best) becomes `101 − preference`, so 100 → 1 and 0 → 101. Unset when the
   * document gave none; such URLs come after every URL that has one.
   */
  readonly priority?: number;
  /** Where the mirror is, as the document said: an ISO 3166-1 country code such as `de`, lower-cased. */
  readonly location?: string;
}

/**
 * A link to another description of the file (a `.torrent`, another Metalink): Metalink 4's
 * `<metaurl>`, or a Metalink 3 `<url type="bittorrent">`. Listed for the caller; reget does not
 * follow them.
 */
export interface MetalinkMetaurl {
  /** An absolute URL of one of the same schemes as {@link MetalinkUrl.url}. */
  readonly url: string;
  /** What the link points to, such as `torrent`. */
  readonly mediaType: string;
  /** Same scale as {@link MetalinkUrl.priority}. */
  readonly priority?: number;
}

/** A source as the document wrote it, before it is resolved and checked. */
export interface RawSource {
  readonly kind: 'url' | 'metaurl';
  readonly text: string;
  /** The base URL in force at the element (`baseUrl` and any `xml:base`), when one is known. */
  readonly base: string | undefined;
  readonly priority: string | undefined;
  /** Which scale `priority` is on: Metalink 4's `priority` or Metalink 3's `preference`. */
  readonly scale: 'priority' | 'preference';
  readonly location: string | undefined;
  readonly mediaType: string | undefined;
}

/** The absolute URL `reference` names from `base`, or undefined when there is none. */
export function resolveReference(reference: string, base: string | undefined): string | undefined {
  try {
    return new URL(reference.trim(), base).href;
  } catch {
    return undefined;
  }
}

/** The checked, absolute URL of a source, or why it cannot be used. */
export function resolveSource(source: RawSource): { url: string } | { reason: string } {
  const text = source.text.trim();
  if (text === '') return { reason: 'the URL is empty' };
  // URL.canParse rather than try/catch: a thrown parse error costs microseconds, and a hostile
  // document can hold hundreds of thousands of bad URLs.
  let url: URL;
  if (URL.canParse(text)) {
    url = new URL(text);
  } else if (source.base === undefined) {
    return { reason: 'a relative URL and no base URL to resolve it against (pass baseUrl)' };
  } else if (URL.canParse(text, source.base)) {
    url = new URL(text, source.base);
  } else {
    return { reason: 'not a valid URL' };
  }
  const scheme = url.protocol.slice(0, -1);
  if (!downloadSchemes.includes(scheme)) {
    return { reason: `reget does not download ${scheme}: URLs (only ${downloadSchemes.join(', ')})` };
  }
  if (url.hostname === '') return { reason: 'the URL has no host' };
  return { url: url.href };
}

/** A source's priority on the one scale results use (lower is better), or why it is not one. */
export function parsePriority(source: RawSource): { priority: number | undefined } | { reason: string } {
  if (source.priority === undefined) return { priority: undefined };
  const text = source.priority.trim();
  if (source.scale === 'priority') {
    const value = /^[0-9]{1,6}$/.test(text) ? Number(text) : 0;
    if (value < 1) return { reason: `priority ${quote(text)} is not a whole number from 1 to 999999` };
    return { priority: value };
  }
  const value = /^[0-9]{1,3}$/.test(text) ? Number(text) : -1;
  if (value < 0 || value > 100) {
    return { reason: `preference ${quote(text)} is not a whole number from 0 to 100` };
  }
  return { priority: 101 - value };
}

/** Orders sources best first: by priority, those without one last, document order among equals. */
export function byPriority(a: { priority?: number }, b: { priority?: number }): number {
  // Above any priority either scale produces (999999 at most), and never Infinity − Infinity.
  const none = 1_000_000;
  return (a.priority ?? none) - (b.priority ?? none);
}
