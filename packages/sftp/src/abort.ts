import { ErrorCode, isRegetError, RegetError } from '@reget/core';

/**
 * The error to throw once `signal` has aborted: core's own reason when it is a RegetError (its idle
 * watchdog aborts with TIMEOUT), ABORTED otherwise.
 */
export function abortError(signal: AbortSignal): RegetError {
  const reason: unknown = signal.reason;
  if (isRegetError(reason)) return reason;
  return new RegetError(ErrorCode.ABORTED, 'The SFTP transfer was aborted.', { cause: reason });
}

/**
 * Settles like `promise`, or rejects with {@link abortError} as soon as `signal` aborts, even when
 * `promise` never settles (a stalled server). `onAbort` runs first, to release what is waiting.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, onAbort?: () => void): Promise<T> {
  // A promise abandoned to an abort may still reject later; that rejection is expected and ignored.
  promise.catch(() => undefined);
  if (signal.aborted) {
    onAbort?.();
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const listener = () => {
      onAbort?.();
      reject(abortError(signal));
    };
    signal.addEventListener('abort', listener, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', listener);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', listener);
        reject(error);
      },
    );
  });
}
