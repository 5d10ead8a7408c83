import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, makeContent } from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { download } from './download.js';
import { ErrorCode, RegetError } from './errors.js';

/** What this process holds open inside `directory` (Linux: /proc/self/fd). */
async function openInside(directory: string): Promise<string[]> {
  const targets = await Promise.all(
    (await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
  );
  return targets.filter((target) => target.startsWith(directory));
}

describe('the partial file descriptor', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-session-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('is opened once and closed after several connections, on success and on abort', async () => {
    if (!existsSync('/proc/self/fd')) {
      // Only Linux lists a process's descriptors this way; elsewhere there is nothing to count.
      expect(process.platform).not.toBe('linux');
      return;
    }
    const server = createMemoryServer({ chunkBytes: 4096 });
    await server.putFile('/file.bin', makeContent(600_000, 91));
    const base = {
      url: server.url('/file.bin'),
      adapters: [server.adapter],
      retries: 0,
      connections: 4,
      minSegmentBytes: 32_768,
    };
    await download({ ...base, destination: join(directory, 'done.bin') });
    expect(await openInside(directory)).toEqual([]);

    const controller = new AbortController();
    const aborted = await download({
      ...base,
      destination: join(directory, 'aborted.bin'),
      signal: controller.signal,
      progressIntervalMs: 0,
      onEvent: (event) => {
        if (event.type === 'progress' && event.bytesOnDisk >= 200_000) controller.abort();
      },
    }).catch((error: unknown) => error);
    expect((aborted as RegetError).code).toBe(ErrorCode.ABORTED);
    expect(aborted).toBeInstanceOf(RegetError);
    expect(await openInside(directory)).toEqual([]);
  });
});
