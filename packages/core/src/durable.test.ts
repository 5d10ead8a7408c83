import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, failureOf, makeContent } from '@reget/testkit';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { download } from './download.js';
import { ErrorCode } from './errors.js';
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
