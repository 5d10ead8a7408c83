import { STATUS_CODES } from 'node:http';
import { ErrorCode, notFoundError, RegetError, redactUrl } from '@reget/core';
import { parseRetryAfter } from './retry-after.js';

// Worth another attempt (RFC 9110 §15.5.9, RFC 6585 §4, §15.6): the server may answer differently later.
const transientStatuses = new Set([408, 425, 429]);
// 5xx answers that will not change by asking again.
const permanentServerStatuses = new Set([501, 505]);

/**
 * Classifies an HTTP error status of the answer from `url` into a RegetError (DESIGN "Errors"):
 * 404/410 NOT_FOUND in core's wording (with the URL redacted), 401 and 407 AUTH, 403 PERMISSION,
 * 408/425/429/5xx retryable NETWORK carrying Retry-After, anything else PROTOCOL. Other messages
 * name the host and status only.
 */
export function errorForStatus(status: number, retryAfter: string | undefined, url: URL): RegetError {
  const label = `${url.host} answered HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd();
  if (status === 404 || status === 410) return notFoundError(redactUrl(url), `HTTP ${status}`);
  if (status === 401 || status === 407) {
    return new RegetError(ErrorCode.AUTH, `${label}: the credentials were missing or refused.`);
  }
  if (status === 403) return new RegetError(ErrorCode.PERMISSION, `${label}: access to the file is denied.`);
  if (transientStatuses.has(status) || (status >= 500 && status <= 599)) {
    return new RegetError(ErrorCode.NETWORK, `${label}.`, {
      retryable: !permanentServerStatuses.has(status),
      retryAfterMs: parseRetryAfter(retryAfter),
    });
  }
  return new RegetError(ErrorCode.PROTOCOL, `${label}, which reget cannot use.`, { retryable: false });
}
