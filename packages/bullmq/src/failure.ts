import { ErrorCode, isRegetError } from '@reget/core';
import { UnrecoverableError } from 'bullmq';

/** An error without a stack trace: BullMQ stores `stack` in Redis and dashboards show it. */
function withoutTrace<T extends Error>(error: T): T {
  error.stack = `${error.name}: ${error.message}`;
  return error;
}

/**
 * What a job throws for a failed download. A RegetError that retrying cannot fix (not found,
 * auth, checksum, bad input…) becomes BullMQ's `UnrecoverableError`: the job fails at once, its
 * attempts left unused. A retryable one (network, timeout, partial) and `LOCKED` (another worker,
 * or a dead host whose lease has not expired yet) are thrown as plain errors, so the job's attempts
 * and backoff apply — and every retry resumes from the bytes on disk. The message is the error's
 * one sentence, prefixed by its code, with no stack trace.
 */
export function jobFailure(error: unknown): Error {
  if (!isRegetError(error)) {
    return withoutTrace(new Error(error instanceof Error ? error.message : String(error)));
  }
  const message = `${error.code}: ${error.message}`;
  if (error.retryable || error.code === ErrorCode.LOCKED) return withoutTrace(new Error(message));
  return withoutTrace(new UnrecoverableError(message));
}
