import type { WebLink } from './link.js';

/** Schemes reget has adapters for; a duplicate elsewhere (a `file:` URL, a torrent) is dropped. */
const mirrorSchemes = new Set(['http:', 'https:', 'ftp:', 'ftps:', 'sftp:']);

/** More mirrors than a redirector offers (MirrorBrain sends 5) and than core would ever open. */
export const maximumDuplicates = 20;

// RFC 6249 §3.1: pri is 1 to 999999, lower first; a missing or invalid one counts as 999999.
const lowestPriority = 999_999;

function priorityOf(link: WebLink): number {
  const text = link.parameters.get('pri');
  if (text === undefined || !/^[0-9]{1,6}$/.test(text)) return lowestPriority;
  const priority = Number(text);
  return priority >= 1 ? priority : lowestPriority;
}

/** A link's target as a duplicate location: an absolute URL without credentials or fragment. */
function locationOf(link: WebLink): string | undefined {
  if (!mirrorSchemes.has(link.target.protocol)) return undefined;
  const location = new URL(link.target.href);
  // A server never chooses the credentials reget sends, nor learns them from a link it wrote.
  location.username = '';
  location.password = '';
  location.hash = '';
  return location.href;
}

/**
 * The duplicate locations among `links` (RFC 6249 §3, `rel=duplicate`): links about `context` (no
 * `anchor` pointing elsewhere) to http, https, ftp, ftps or sftp URLs, credentials removed, best
 * first — `pref` links before the others (as aria2 and wget order them), then by `pri` ascending,
 * ties in the order sent — without repeats or any URL in `exclude` (the URLs this answer came from),
 * at most {@link maximumDuplicates}.
 */
export function duplicatesOf(
  links: readonly WebLink[],
  context: URL,
  exclude: ReadonlySet<string> = new Set(),
): string[] {
  const candidates: { location: string; isPreferred: boolean; priority: number; order: number }[] = [];
  links.forEach((link, order) => {
    if (!link.relations.includes('duplicate') || link.context.href !== context.href) return;
    const location = locationOf(link);
    if (location === undefined) return;
    candidates.push({
      location,
      isPreferred: link.parameters.has('pref'),
      priority: priorityOf(link),
      order,
    });
  });
  candidates.sort(
    (a, b) => Number(b.isPreferred) - Number(a.isPreferred) || a.priority - b.priority || a.order - b.order,
  );
  // After sorting, so a location sent twice keeps its better rank.
  const seen = new Set(exclude);
  const locations: string[] = [];
  for (const { location } of candidates) {
    if (locations.length === maximumDuplicates) break;
    if (seen.has(location)) continue;
    seen.add(location);
    locations.push(location);
  }
  return locations;
}

/**
 * The Metalink document a server points to (RFC 6249 §4: `rel=describedby;
 * type="application/metalink4+xml"`), the first of them with an http or https URL, or undefined.
 */
export function metalinkUrlOf(links: readonly WebLink[], context: URL): string | undefined {
  for (const link of links) {
    if (!link.relations.includes('describedby') || link.context.href !== context.href) continue;
    const type = link.parameters.get('type')?.trim().toLowerCase();
    if (type !== 'application/metalink4+xml') continue;
    const location = locationOf(link);
    if (location !== undefined && /^https?:/.test(location)) return location;
  }
  return undefined;
}
