import { ErrorCode, RegetError } from '@reget/core';

/** Where an `sftp://` URL points, with its credentials decoded. */
export interface SftpLocation {
  /** Host to connect to (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  /** The user name from the URL, percent-decoded, if any. */
  readonly username: string | undefined;
  /** The password from the URL, percent-decoded, if any. Never print it. */
  readonly password: string | undefined;
  /** The path sent to the server: absolute, or relative to the login directory for `/~/…` URLs. */
  readonly path: string;
  /** The URL without credentials, for messages. */
  readonly displayUrl: string;
}

const defaultPort = 22;

/**
 * Reads an `sftp://user[:password]@host[:port]/path` URL the way curl does: the path is absolute on
 * the server, except that a first path element of exactly `~` means the login directory
 * (`sftp://host/~/file` asks for `file`); `~user` or `~2` stay literal (FAULTS SFTP-03, curl
 * CVE-2023-27534). Throws BAD_INPUT, without echoing credentials, for anything else.
 */
export function parseSftpUrl(url: URL): SftpLocation {
  const display = new URL(url.href);
  display.username = '';
  display.password = '';
  const displayUrl = display.href;
  if (url.protocol !== 'sftp:') {
    throw new RegetError(ErrorCode.BAD_INPUT, `Not an sftp:// URL: ${displayUrl}.`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new RegetError(ErrorCode.BAD_INPUT, `The URL ${displayUrl} names no host.`);
  const port = url.port === '' ? defaultPort : Number(url.port);

  const username = url.username === '' ? undefined : decode(url.username, 'user name', displayUrl);
  const password = url.password === '' ? undefined : decode(url.password, 'password', displayUrl);

  const rawElements = url.pathname.split('/').slice(1);
  const elements = rawElements.map((element) => decode(element, 'path', displayUrl));
  const isHomeRelative = elements[0] === '~';
  const path = isHomeRelative ? elements.slice(1).join('/') : `/${elements.join('/')}`;
  if (path.includes('\0')) {
    throw new RegetError(ErrorCode.BAD_INPUT, `The path of ${displayUrl} contains a NUL byte.`);
  }
  if (path === '' || path.endsWith('/')) {
    throw new RegetError(ErrorCode.BAD_INPUT, `The URL ${displayUrl} names a directory, not a file.`);
  }
  return { host, port, username, password, path, displayUrl };
}

function decode(text: string, what: string, displayUrl: string): string {
  try {
    return decodeURIComponent(text);
  } catch (cause) {
    // The malformed text itself may be a secret, so the message names only what it was.
    throw new RegetError(ErrorCode.BAD_INPUT, `The ${what} in ${displayUrl} has a malformed %-escape.`, {
      cause,
    });
  }
}
