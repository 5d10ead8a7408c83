import { ErrorCode, type RegetError } from './errors.js';

const problems: readonly string[] = [
  ErrorCode.NOT_FOUND,
  ErrorCode.AUTH,
  ErrorCode.PERMISSION,
  ErrorCode.TLS,
  ErrorCode.HOST_KEY,
  ErrorCode.PROTOCOL,
  ErrorCode.RANGE_NOT_SUPPORTED,
];

/**
 * Whether an error says a source cannot serve this file at all, whatever a next attempt does (not
 * found, refused login or certificate, unusable answers) — not the local disk, not an abort.
 */
export function isSourceProblem(error: RegetError): boolean {
  return problems.includes(error.code);
}
