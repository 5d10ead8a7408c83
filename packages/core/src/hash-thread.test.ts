import { createHash } from 'node:crypto';
import { makeContent } from '@reget/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamingHasher } from './checksum.js';
import { ErrorCode, RegetError } from './errors.js';
import { HashThread } from './hash-thread.js';

const opened: { close(): Promise<void> }[] = [];
function track<T extends { close(): Promise<void> }>(thing: T): T {
  opened.push(thing);
  return thing;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((thing) => thing.close()));
});

/** A worker that ends itself (as a crash would) when the first bytes reach it. */
const exitsOnBytes = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (message) => { if (message.type === 'bytes') process.exit(7); });
`;
/** A worker whose code throws on its first message. */
const throwsOnMessage = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', () => { throw new Error('broken hasher'); });
`;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if ('value' in outcome) return `resolved with ${String(outcome.value)}`;
  return outcome.error instanceof RegetError ? outcome.error.code : 'not a RegetError';
}

describe('HashThread', () => {
  it('hashes in order across more bytes than its buffers hold, with calls not awaited in between', async () => {
    // 20 MiB in uneven chunks: more than the 8 buffers of 1 MiB, so later copies wait for buffers.
    const content = makeContent(20 * 1024 * 1024 + 12_345, 5);
    const thread = track(new HashThread('sha256'));
    const copies: Promise<void>[] = [];
    const sizes = [1, 65_536, 1_048_576, 3_000_000, 777];
    for (let position = 0, index = 0; position < content.length; index++) {
      const length = sizes[index % sizes.length]!;
      copies.push(thread.update(content.subarray(position, position + length)));
      position += length;
    }
    await Promise.all(copies);
    expect(await thread.digest()).toBe(createHash('sha256').update(content).digest('hex'));
  });

  it('forgets bytes given before a reset, even those still waiting for a buffer', async () => {
    const thrown = makeContent(12 * 1024 * 1024, 6);
    const kept = makeContent(300_000, 7);
    const thread = track(new HashThread('sha512'));
    const expected = createHash('sha512').update(kept).digest('hex');
    // A part-filled buffer, forgotten.
    await thread.update(thrown.subarray(0, 1000));
    thread.reset();
    await thread.update(kept);
    expect(await thread.digest()).toBe(expected);
    // More than the buffers hold, some of it still waiting for a buffer, forgotten.
    const waiting = thread.update(thrown);
    thread.reset();
    await waiting;
    await thread.update(kept);
    expect(await thread.digest()).toBe(expected);
    // The hash starts over after a digest.
    await thread.update(kept);
    expect(await thread.digest()).toBe(expected);
  });

  it('fails LOCAL_IO, never a digest, when its thread exits while bytes wait for it', async () => {
    const thread = track(new HashThread('sha256', { source: exitsOnBytes }));
    const content = makeContent(10 * 1024 * 1024, 8);
    expect(await codeOf(thread.update(content))).toBe(ErrorCode.LOCAL_IO);
    expect(await codeOf(thread.digest())).toBe(ErrorCode.LOCAL_IO);
  });

  it('fails LOCAL_IO when its thread throws', async () => {
    const thread = track(new HashThread('sha256', { source: throwsOnMessage }));
    await thread.update(makeContent(1000, 9));
    expect(await codeOf(thread.digest())).toBe(ErrorCode.LOCAL_IO);
  });

  it('refuses work once closed', async () => {
    const thread = new HashThread('sha256');
    await thread.close();
    expect(await codeOf(thread.update(makeContent(10, 1)))).toBe(ErrorCode.LOCAL_IO);
    expect(await codeOf(thread.digest())).toBe(ErrorCode.LOCAL_IO);
  });
});

describe('StreamingHasher on a failing thread', () => {
  const content = makeContent(3 * 1024 * 1024, 10);
  const readAt = async (position: number, length: number) => content.subarray(position, position + length);

  it('rejects finish with LOCAL_IO when the thread dies during the streaming pass', async () => {
    const hasher = track(new StreamingHasher('sha256', readAt, { source: exitsOnBytes }));
    for (let position = 0; position < content.length; position += 256 * 1024) {
      // The copies may fail as soon as the thread is gone; finish must fail either way.
      await hasher
        .update(position, content.subarray(position, position + 256 * 1024), () => false)
        .catch(() => undefined);
    }
    expect(await codeOf(hasher.finish(content.length))).toBe(ErrorCode.LOCAL_IO);
  });

  it('rejects finish with LOCAL_IO when the thread dies while the prefix is hashed from disk', async () => {
    const hasher = track(new StreamingHasher('sha256', readAt, { source: exitsOnBytes }));
    expect(await codeOf(hasher.finish(content.length))).toBe(ErrorCode.LOCAL_IO);
  });
});
