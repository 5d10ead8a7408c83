import type { Adapter, RemoteStat } from './contract.js';
import { ErrorCode, isRegetError, RegetError } from './errors.js';
import { abortable } from './timeout.js';
import { adapterFor, parseUrl } from './url.js';

/** Options for {@link probe}. */
export interface ProbeOptions {
  readonly url: string | URL;
  readonly adapters: readonly Adapter[];
  readonly signal?: AbortSignal | undefined;
  /** Default 30 000. */
  readonly connectTimeoutMs?: number | undefined;
}

/**
 * Asks the remote for its size, validator, range support and suggested file name without
 * downloading anything — for choosing a destination (Content-Disposition) before {@link download}.
 */
export async function probe(options: ProbeOptions): Promise<RemoteStat> {
  const url = parseUrl(options.url);
  const adapter = adapterFor(url, options.adapters);
  const signal = options.signal ?? new AbortController().signal;
  try {
    const remote = await abortable(
      adapter.open(url, { signal, connectTimeoutMs: options.connectTimeoutMs ?? 30_000 }),
      signal,
    );
    try {
      return await abortable(remote.stat(signal), signal);
    } finally {
      await remote.close().catch(() => undefined);
    }
  } catch (error) {
    if (isRegetError(error)) throw error;
    if (signal.aborted)
      throw new RegetError(ErrorCode.ABORTED, 'The probe was interrupted.', { cause: error });
    throw new RegetError(ErrorCode.NETWORK, 'The remote could not be probed.', { cause: error });
  }
}
