import { type Adapter, type ReadRequest, type ReadResponse, RegetError, type Remote } from '@reget/core';

/** Opens `url` with `adapter` the way core does, with a fresh signal and a short connect timeout. */
export function openRemote(adapter: Adapter, url: string, connectTimeoutMs = 5_000): Promise<Remote> {
  return adapter.open(new URL(url), { signal: new AbortController().signal, connectTimeoutMs });
}

/** Opens a remote, runs `use` with it, and closes it whatever happens. */
export async function withRemote<T>(
  adapter: Adapter,
  url: string,
  use: (remote: Remote) => Promise<T>,
  connectTimeoutMs?: number,
): Promise<T> {
  const remote = await openRemote(adapter, url, connectTimeoutMs);
  try {
    return await use(remote);
  } finally {
    await remote.close();
  }
}

/** Reads a whole body into one buffer (tests only: it holds everything in memory). */
export async function collectBody(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** One read through a fresh remote (from 0 unless `request` says otherwise), with its whole body. */
export function readBytes(
  adapter: Adapter,
  url: string,
  request: Partial<ReadRequest> = {},
): Promise<ReadResponse & { readonly bytes: Buffer }> {
  return withRemote(adapter, url, async (remote) => {
    const response = await remote.read({ start: 0, signal: new AbortController().signal, ...request });
    return { ...response, bytes: await collectBody(response.body) };
  });
}

/** The RegetError `promise` rejects with; throws when it fulfils or rejects with anything else. */
export async function failureOf(promise: Promise<unknown>): Promise<RegetError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RegetError) return error;
    throw new Error(`expected a RegetError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a failure, and it succeeded');
}
