import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestOptions } from 'node:https';

/** What reget insists on for one request, whatever the axios instance and its interceptors did. */
export interface WirePolicy {
  /** Headers reget owns, lower case: sent with exactly these values, or not at all when absent. */
  readonly owned: Readonly<Record<string, string>>;
  /** False once a redirect chain has left the original origin (scheme, host, port). */
  readonly isSameOrigin: boolean;
  /** The `headers` option's names: sent to the original origin only. */
  readonly originOnly: readonly string[];
}

// Headers reget always decides: framing of a resume (RFC 9110 §13.1.5, §14.1.2).
const ownedNames = new Set(['range', 'if-range', 'accept-encoding']);
// Credentials, whoever added them (URL, `auth`, default headers, an interceptor), stay on the origin.
const credentialNames = ['authorization', 'cookie', 'proxy-authorization'];
// After a cross-origin hop only these go on (FAULTS SEC-03: every user-supplied header is dropped):
// a header an instance or an interceptor adds (`X-Api-Key`, `Private-Token`, a signature) may be a
// credential reget cannot recognise by name.
const crossOriginNames = new Set(['accept', 'user-agent', 'host', 'connection']);

/**
 * Applies `policy` to Node's request options at the last step before the wire (axios's transport
 * call, after every interceptor and default): reget's owned headers replace any other value of
 * theirs, and on a cross-origin hop every header but Accept, User-Agent, Host and Connection goes
 * (the instance's and the interceptors' included), as does `auth` (FAULTS SEC-03). Proxy-Authorization stays when the request goes to a forward proxy
 * (absolute-form target), where it is the proxy's, not the origin's.
 */
export function applyWirePolicy(options: RequestOptions, policy: WirePolicy): void {
  const isToProxy = !(options.path ?? '/').startsWith('/');
  const dropped = new Set(policy.isSameOrigin ? [] : [...credentialNames, ...policy.originOnly]);
  if (isToProxy) dropped.delete('proxy-authorization');
  const given = options.headers ?? {};
  const entries: Array<[string, OutgoingHttpHeaders[string]]> = Array.isArray(given)
    ? given.flatMap((item, index) =>
        index % 2 === 0 ? [[String(item), given[index + 1]] as [string, string]] : [],
      )
    : Object.entries(given);
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of entries) {
    const lower = name.toLowerCase();
    if (ownedNames.has(lower) || dropped.has(lower)) continue;
    const isKept =
      policy.isSameOrigin || crossOriginNames.has(lower) || (isToProxy && lower === 'proxy-authorization');
    if (isKept) headers[name] = value;
  }
  Object.assign(headers, policy.owned);
  options.headers = headers;
  if (!policy.isSameOrigin) delete options.auth;
}
