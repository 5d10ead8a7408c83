import type { PublishedDigest } from '@reget/core';
import type { Exchange } from './client.js';
import { publishedDigestsOf } from './digest-fields.js';
import { duplicatesOf, metalinkUrlOf } from './duplicates.js';
import { isIdentityCoding } from './framing.js';
import { parseLinkHeader } from './link.js';

/** What an answer published about the file besides size and version (Metalink/HTTP, RFC 6249). */
export interface Published {
  /** Digests of the whole file, strongest first; undefined when none can be trusted to match. */
  readonly digests?: readonly PublishedDigest[] | undefined;
  /** Other locations of the same file, best first; only with digests (RFC 6249 §6). */
  readonly duplicates?: readonly string[] | undefined;
  /** A Metalink document describing the file (`rel=describedby`), if announced. */
  readonly metalinkUrl?: string | undefined;
}

/**
 * What one exchange (its redirects and its final answer) published about the file.
 *
 * Digests come from one answer only: the first in the chain that has any, because a redirector
 * (MirrorBrain) publishes them on its redirect for the file the user named, and a mirror further on
 * could be serving another version; mixing the two would let the strongest digest come from the
 * wrong one. Its `Link: rel=duplicate` headers come along; links from an answer without digests
 * are ignored, as RFC 6249 §6 requires.
 *
 * None are reported unless the final answer is a 200 or 206 in the identity coding. A coded answer
 * (`Content-Encoding: gzip`, which reget never asks for) carries digests of the coded bytes
 * (RFC 9530 §3, RFC 3230 §4.3.2: the representation is the coded data), which a server that
 * compresses on the fly may produce differently on the next request, while a redirector's digest
 * describes the file itself; either way it would not match what reget keeps, and a false mismatch
 * would throw a good file away as corrupt. An error answer's digests describe the error page.
 */
export function publishedOf(exchange: Exchange): Published {
  const answers = [...exchange.redirects, exchange].map((answer) => ({
    headers: answer.headers,
    links: parseLinkHeader(answer.headers.link, answer.url),
    url: answer.url,
  }));
  let metalinkUrl: string | undefined;
  for (const { links, url } of answers) metalinkUrl ??= metalinkUrlOf(links, url);
  const isFile = exchange.status === 200 || exchange.status === 206;
  if (!isFile || !isIdentityCoding(exchange.headers['content-encoding'])) return { metalinkUrl };
  const chain = new Set(answers.map((answer) => answer.url.href));
  for (const { headers, links, url } of answers) {
    const digests = publishedDigestsOf(headers);
    if (digests.length === 0) continue;
    const duplicates = duplicatesOf(links, url, chain);
    return { digests, duplicates: duplicates.length > 0 ? duplicates : undefined, metalinkUrl };
  }
  return { metalinkUrl };
}
