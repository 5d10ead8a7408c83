import { basename } from 'node:path';
import type { Adapter } from './contract.js';
import { ErrorCode, escapeControl, RegetError } from './errors.js';

/** Parses a URL given by a user, or throws BAD_INPUT with a sentence that does not echo credentials. */
export function parseUrl(input: string | URL): URL {
  if (input instanceof URL) return input;
  try {
    return new URL(input);
  } catch (cause) {
    throw new RegetError(ErrorCode.BAD_INPUT, `Not a valid URL: ${escapeControl(redactText(input))}.`, {
      cause,
    });
  }
}

/** The URL as text without user name, password or known signature parameters; safe to print or journal. */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url.toString());
  } catch {
    return redactText(url.toString());
  }
  // Without `//`, WHATWG URL reads a non-special scheme's `user:password@host` as a path, not as
  // credentials: `sftp:alice:secret@host/f` holds a password all the same.
  if (parsed.host === '') return redactText(parsed.href);
  parsed.username = '';
  parsed.password = '';
  for (const key of [...parsed.searchParams.keys()]) {
    if (
      /^(x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|signature|sig|token|access_token|password)$/i.test(
        key,
      )
    ) {
      parsed.searchParams.set(key, 'REDACTED');
    }
  }
  return parsed.toString();
}

/** Removes `user:password@` from text that failed to parse as a URL, or a URL without a host. */
function redactText(text: string): string {
  // Everything after the scheme up to the last @: a password may itself hold '/', '@', '#' or a
  // space, and WHATWG URL reads `http:user:pw@host` (no slashes) as credentials too.
  return text.replace(
    /^(\s*[a-z][a-z0-9+.-]*:)?([/\\]*).*@/is,
    (_match, scheme: string | undefined, slashes: string) => `${scheme ?? ''}${slashes}`,
  );
}

/** The adapter that handles `url`'s scheme, or BAD_INPUT naming the schemes that are supported. */
export function adapterFor(url: URL, adapters: readonly Adapter[]): Adapter {
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  const adapter = adapters.find((candidate) => candidate.schemes.includes(scheme));
  if (adapter) return adapter;
  const known = adapters.flatMap((candidate) => candidate.schemes);
  const list = known.length > 0 ? known.join(', ') : 'none';
  throw new RegetError(ErrorCode.BAD_INPUT, `Unsupported URL scheme "${scheme}" (supported: ${list}).`);
}

// Names Windows reserves, refused so a file downloaded here can be copied anywhere.
const reservedNames = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/**
 * Reduces an untrusted name (a URL segment, a Content-Disposition filename) to a safe base name
 * that cannot leave the target directory (FAULTS SEC-01), or undefined when nothing safe remains.
 */
export function safeFileName(name: string): string | undefined {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // A malformed escape is kept literally; the checks below still apply.
  }
  // Only the last segment survives, whichever separator the server used.
  const last = decoded.split(/[/\\]/).at(-1) ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
  const cleaned = last.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  if (cleaned === '' || cleaned === '.' || cleaned === '..') return undefined;
  if (/[:*?"<>|]/.test(cleaned) || reservedNames.test(cleaned)) return undefined;
  if (cleaned.startsWith('.')) return undefined;
  // Trimmed again after the cut, which may land inside a run of spaces.
  return cleaned.length > 255 ? cleaned.slice(0, 255).trimEnd() : cleaned;
}

/** The safe file name of a URL's last path segment, or undefined (e.g. `https://host/`). */
export function fileNameFromUrl(url: URL): string | undefined {
  const segment = url.pathname.split('/').at(-1) ?? '';
  return segment === '' ? undefined : safeFileName(basename(segment));
}
