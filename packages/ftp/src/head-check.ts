import { ErrorCode, RegetError } from '@reget/core';

/**
 * How many of a segment's first bytes are compared with the file's first bytes. A server that
 * answers REST with 350 and then sends from byte 0 (FAULTS FTP-05) is caught by counting bytes to
 * the end of the file, which a segment that stops early never reaches; its first bytes give it away.
 */
export const headCheckBytes = 64 * 1024;

function isSame(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Reads from `iterator` until `count` bytes (fewer if it ends), as one buffer. */
async function readFirst(iterator: AsyncIterator<Uint8Array>, count: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  while (length < count) {
    const next = await iterator.next();
    if (next.done) break;
    chunks.push(next.value);
    length += next.value.length;
  }
  return Buffer.concat(chunks);
}

async function* prepend(first: Uint8Array, iterator: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  let isDone = false;
  try {
    if (first.length > 0) yield first;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    isDone = true;
  } finally {
    // Leaving early must still end the transfer (the body closes its connection).
    if (!isDone) await iterator.return?.();
  }
}

/**
 * Holds back a ranged body's first bytes until they are known not to be the file's first bytes
 * (`head`), then yields everything. Bytes equal to the head mean the server ignored REST — or, far
 * more rarely, that the file repeats itself there: either way the range cannot be trusted, and
 * RANGE_NOT_SUPPORTED sends core back to one connection from zero, where byte counting protects.
 */
export async function checkedAgainstHead(
  body: AsyncIterable<Uint8Array>,
  head: Uint8Array,
  start: number,
  span: number,
  host: string,
): Promise<AsyncIterable<Uint8Array>> {
  const iterator = body[Symbol.asyncIterator]();
  const count = Math.min(head.length, span);
  let first: Uint8Array;
  try {
    first = await readFirst(iterator, count);
  } catch (error) {
    await iterator.return?.();
    throw error;
  }
  if (count > 0 && isSame(first.subarray(0, count), head.subarray(0, count))) {
    await iterator.return?.();
    throw new RegetError(
      ErrorCode.RANGE_NOT_SUPPORTED,
      `The FTP server ${host} answered REST ${start} with the file's first bytes: it ignores REST, or the file repeats itself there, and only one connection reading to the end can tell.`,
    );
  }
  return prepend(first, iterator);
}

/** Collects a body of at most `limit` bytes. */
export async function collect(body: AsyncIterable<Uint8Array>, limit: number): Promise<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  try {
    return (await readFirst(iterator, limit)).subarray(0, limit);
  } finally {
    await iterator.return?.();
  }
}
