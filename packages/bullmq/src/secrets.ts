import { ErrorCode, RegetError } from '@reget/core';

/**
 * Query parameters that carry a secret (signed-URL signatures, API tokens). A job is stored in
 * Redis, readable by anything that can read Redis: such URLs stay out of the queue.
 */
const secretParameters = new Set([
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'x-goog-signature',
  'x-goog-credential',
  'signature',
  'sig',
  'token',
  'access_token',
  'api_key',
  'apikey',
  'key',
  'password',
  'secret',
]);

/**
 * Refuses a URL that carries a secret: a password in it, or a query parameter that names one.
 * The message never repeats the secret.
 */
export function refuseSecrets(url: URL, what: string): void {
  if (url.password !== '') {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `${what}: the URL carries a password, and jobs are stored in Redis; give the password to the workers (their credentials option) instead.`,
    );
  }
  for (const name of url.searchParams.keys()) {
    if (secretParameters.has(name.toLowerCase())) {
      throw new RegetError(
        ErrorCode.BAD_INPUT,
        `${what}: the URL's query parameter "${name}" looks like a secret, and jobs are stored in Redis; configure it on the workers instead.`,
      );
    }
  }
}
