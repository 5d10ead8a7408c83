import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, failureOf, makeContent } from '@reget/testkit';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { download } from './download.js';
import { ErrorCode } from './errors.js';
import { currentBoot, readJournal } from './journal.js';
import { PartialFile } from './partial.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'reget-durable-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(directory, { recursive: true, force: true });
});

it('flushes to the device by default, and not at all with durable: false, resuming the same', async () => {
  const content = makeContent(3 * 2 ** 20, 71);
  const server = createMemoryServer({ chunkBytes: 64 * 1024 });
  await server.putFile('/file.bin', content);
  const flushes = vi.spyOn(PartialFile.prototype, 'sync');
  const run = async (name: string, durable: boolean | undefined) => {
    const destination = join(directory, name);
    const base = {
      url: server.url('/file.bin'),
      destination,
      adapters: [server.adapter],
      retries: 0,
      durable,
    };
    // Cut once, then resumed from the journal: both runs flush, or neither does.
    server.setFaults({ dropAfterBytes: 2 ** 20, dropTimes: 1 });
    expect((await failureOf(download(base))).code).toBe(ErrorCode.PARTIAL);
    server.setFaults({});
    server.resetCounters();
    const result = await download(base);
    expect(result.resumes).toBe(1);
    expect(Buffer.compare(await readFile(destination), content)).toBe(0);
  };
  await run('durable.bin', undefined);
  expect(flushes.mock.calls.length).toBeGreaterThan(0);
  flushes.mockClear();
  await run('scratch.bin', false);
  expect(flushes.mock.calls.length).toBe(0);
});

it('marks the journal of an unflushed partial with the boot that wrote it, and a durable run drops it', async () => {
  const content = makeContent(2 * 2 ** 20, 72);
  const server = createMemoryServer({ chunkBytes: 64 * 1024 });
  await server.putFile('/file.bin', content);
  const destination = join(directory, 'marked.bin');
  const base = { url: server.url('/file.bin'), destination, adapters: [server.adapter], retries: 0 };
  server.setFaults({ dropAfterBytes: 2 ** 20, dropTimes: 1 });
  expect((await failureOf(download({ ...base, durable: false }))).code).toBe(ErrorCode.PARTIAL);
  expect((await readJournal(`${destination}.reget`))?.unflushedBoot).toBe(currentBoot());
  // A durable run's first flush covers every byte of the file: its journal needs no mark.
  server.setFaults({ dropAfterBytes: 512 * 1024, dropTimes: 1 });
  expect((await failureOf(download(base))).code).toBe(ErrorCode.PARTIAL);
  const journal = await readJournal(`${destination}.reget`);
  expect(journal?.ranges.length).toBeGreaterThan(0);
  expect(journal?.unflushedBoot).toBeUndefined();
});
