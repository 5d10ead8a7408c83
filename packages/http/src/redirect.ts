import { ErrorCode, RegetError } from '@reget/core';

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

/** Whether a status asks to repeat the request elsewhere (RFC 9110 §15.4). */
export function isRedirect(status: number): boolean {
  return redirectStatuses.has(status);
}

/**
 * Where a redirect leads: `Location` resolved against the current URL (RFC 9110 §10.2.2), stripped
 * of any credentials it carries. Only http and https targets are followed (FAULTS SEC-04); anything
 * else, or a missing or unparseable Location, is PROTOCOL.
 */
export function redirectTarget(location: string | undefined, current: URL, host: string): URL {
  if (location === undefined || location.trim() === '') {
    throw new RegetError(ErrorCode.PROTOCOL, `${host} sent a redirect without a Location.`);
  }
  let target: URL;
  try {
    target = new URL(location.trim(), current);
  } catch (cause) {
    throw new RegetError(ErrorCode.PROTOCOL, `${host} sent a redirect to an invalid URL.`, { cause });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new RegetError(
      ErrorCode.PROTOCOL,
      `${host} redirected to a ${target.protocol} URL; only http and https are followed.`,
    );
  }
  // Credentials chosen by a server are never used: they could only serve to leak ours elsewhere.
  target.username = '';
  target.password = '';
  target.hash = '';
  return target;
}
