import { ErrorCode, RegetError } from '@reget/core';

/** How the control connection is protected. */
export type FtpSecurity =
  /** Clear text (`ftp://`). */
  | 'none'
  /** Explicit TLS: `AUTH TLS` right after the greeting (`ftpes://`, or `ftp://` with `requireTls`). */
  | 'explicit'
  /** Implicit TLS: TLS from the first byte (`ftps://`, port 990 by default). */
  | 'implicit';

/** Everything needed to reach one file, parsed from its URL. */
export interface FtpLocation {
  /** Host name or IP address, without IPv6 brackets. */
  readonly host: string;
  readonly port: number;
  readonly security: FtpSecurity;
  /** The path to send with SIZE/MDTM/RETR: relative to the login directory unless it starts with `/`. */
  readonly path: string;
  /** Percent-decoded user from the URL, or undefined. */
  readonly user: string | undefined;
  /** Percent-decoded password from the URL, or undefined. Never printed. */
  readonly password: string | undefined;
  /** The URL without credentials, for display. */
  readonly displayUrl: string;
}

const defaultPorts: Record<FtpSecurity, number> = { none: 21, explicit: 21, implicit: 990 };

/**
 * Parses an `ftp://`, `ftpes://` or `ftps://` URL the way curl reads it (RFC 1738 §3.2.2): the path
 * is relative to the login directory and a leading `%2F` makes it absolute; each segment is
 * percent-decoded. Throws BAD_INPUT (without echoing credentials) for anything unusable.
 */
export function parseFtpLocation(url: URL, requireTls: boolean): FtpLocation {
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  const security: FtpSecurity | undefined =
    scheme === 'ftps' ? 'implicit' : scheme === 'ftpes' ? 'explicit' : scheme === 'ftp' ? 'none' : undefined;
  if (security === undefined) {
    throw new RegetError(ErrorCode.BAD_INPUT, `The FTP adapter does not handle "${scheme}" URLs.`);
  }
  const displayUrl = withoutCredentials(url);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new RegetError(ErrorCode.BAD_INPUT, `The URL ${displayUrl} has no host.`);
  const segments = url.pathname
    .replace(/^\//, '')
    .split('/')
    .map((segment) => decode(segment, displayUrl));
  const last = segments.at(-1) ?? '';
  if (last === '') throw new RegetError(ErrorCode.BAD_INPUT, `The URL ${displayUrl} does not name a file.`);
  const path = segments.join('/');
  if (/[\r\n\0]/.test(path)) {
    throw new RegetError(ErrorCode.BAD_INPUT, `The path of ${displayUrl} contains control characters.`);
  }
  const user = url.username === '' ? undefined : decode(url.username, displayUrl);
  const password = url.password === '' ? undefined : decode(url.password, displayUrl);
  const effective = security === 'none' && requireTls ? 'explicit' : security;
  return {
    host,
    port: url.port === '' ? defaultPorts[effective] : Number(url.port),
    security: effective,
    path,
    user,
    password,
    displayUrl,
  };
}

function decode(text: string, displayUrl: string): string {
  try {
    return decodeURIComponent(text);
  } catch (cause) {
    throw new RegetError(ErrorCode.BAD_INPUT, `The URL ${displayUrl} has a malformed percent-escape.`, {
      cause,
    });
  }
}

function withoutCredentials(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}
