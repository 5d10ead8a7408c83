/** A login for one host; it lives in the worker's configuration, never in a job. */
export interface HostCredentials {
  readonly username?: string | undefined;
  readonly password?: string | undefined;
}

/**
 * The credentials of each host: a map keyed by `scheme://host[:port]` (e.g.
 * `sftp://archive.example.org:2222`; the port only when it is not the scheme's default, as
 * `URL.host` writes it) or by the host name alone, or a function of the URL.
 */
export type CredentialsOption =
  | Readonly<Record<string, HostCredentials>>
  | ((url: URL) => HostCredentials | undefined);

/** The URL a worker downloads: the job's URL with the credentials configured for its host. */
export function withCredentials(url: URL, credentials: CredentialsOption | undefined): URL {
  if (credentials === undefined) return url;
  const found =
    typeof credentials === 'function'
      ? credentials(url)
      : [`${url.protocol}//${url.host}`, url.hostname]
          .filter((key) => Object.hasOwn(credentials, key))
          .map((key) => credentials[key])[0];
  if (found === undefined) return url;
  const withLogin = new URL(url);
  if (found.username !== undefined) withLogin.username = encodeURIComponent(found.username);
  if (found.password !== undefined) withLogin.password = encodeURIComponent(found.password);
  return withLogin;
}
