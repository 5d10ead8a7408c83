import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, makeContent } from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { destinationPaths } from './destination.js';
import { download } from './download.js';
import { ErrorCode, RegetError } from './errors.js';
import { readJournal } from './journal.js';
import { PartialFile } from './partial.js';
import { DownloadSession } from './session.js';

/** What this process holds open inside `directory` (Linux: /proc/self/fd). */
async function openInside(directory: string): Promise<string[]> {
  const targets = await Promise.all(
    (await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
  );
  return targets.filter((target) => target.startsWith(directory));
}

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'reget-session-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(directory, { recursive: true, force: true });
});

/** A session on a fresh destination `name` in the test directory, for a remote of `total` bytes. */
function openSession(name: string, total: number) {
  const paths = destinationPaths(join(directory, name));
  const session = new DownloadSession({
    paths,
    url: `http://127.0.0.1/${name}`,
    emit: () => undefined,
    hasher: undefined,
    progressIntervalMs: 0,
  });
  session.adopt(total, { value: '"v1"', isStrong: true });
  return { session, paths };
}

describe('the partial file descriptor', () => {
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

describe('a flush that fails', () => {
  /** A session on a fresh destination; the device's flushes are real until a test fails one. */
  const open = () => openSession('file.bin', 4000);

  // Linux reports a write-back error to one fsync and then forgets it: the device's next flush
  // succeeds. Only the first flush after the write fails here, as it would on a real disk.
  const failNextFlush = () =>
    vi.spyOn(PartialFile.prototype, 'sync').mockRejectedValueOnce(new Error('EIO: write-back failed'));

  it('keeps failing, so neither the journal nor the final flush vouch for the lost bytes', async () => {
    const { session, paths } = open();
    await session.writeAt(0, new Uint8Array(1000).fill(1));
    failNextFlush();
    await expect(session.checkpoint(true)).rejects.toThrow('EIO');
    // The device would now say yes; the download must still not be finished.
    await expect(session.flush()).rejects.toThrow('EIO');
    const journal = await readJournal(paths.journal);
    expect(journal?.ranges ?? []).toEqual([]);
    // Nor may the next run take the bytes past the ranges for data from the file's length.
    expect(journal?.isSegmented).toBe(true);
    await session.close();
  });

  it('stops the transfer at the next write once a flush beside it failed', async () => {
    const { session } = open();
    await session.writeAt(0, new Uint8Array(1000).fill(1));
    failNextFlush();
    // A background checkpoint swallows its failure; the session must not.
    await session.checkpoint(true).catch(() => undefined);
    await expect(session.writeAt(1000, new Uint8Array(1000).fill(2))).rejects.toThrow('EIO');
    expect(session.ranges.toArray()).toEqual([[0, 1000]]);
    await session.close();
  });

  it('still withdraws claims of voided bytes from the journal', async () => {
    const { session, paths } = open();
    await session.writeAt(0, new Uint8Array(1000).fill(1));
    await session.checkpoint(true);
    expect((await readJournal(paths.journal))?.ranges).toEqual([[0, 1000]]);
    await session.writeAt(1000, new Uint8Array(1000).fill(2));
    failNextFlush();
    await expect(session.checkpoint(true)).rejects.toThrow('EIO');
    // The answer behind both writes proves unusable: none of its bytes may stay claimed.
    await expect(session.voidAttempt()).rejects.toThrow('EIO');
    const journal = await readJournal(paths.journal);
    expect(journal?.ranges).toEqual([]);
    expect(journal?.isSegmented).toBe(true);
    await session.close();
  });
});

describe('the journal and several connections', () => {
  it('says segmented before any connection writes apart from its ranges', async () => {
    const { session, paths } = openSession('file.bin', 4000);
    await session.writeAt(0, new Uint8Array(1000).fill(1));
    // A journal without the mark lets the next run take everything up to the file's length for
    // data (holes included): no byte may land past its ranges while the journal on disk lacks it.
    const islandsBeforeTheMark: number[] = [];
    const writev = PartialFile.prototype.writev;
    vi.spyOn(PartialFile.prototype, 'writev').mockImplementation(async function (
      this: PartialFile,
      chunks,
      position,
    ) {
      const journal = await readJournal(paths.journal);
      const end = journal?.ranges.at(-1)?.[1] ?? 0;
      if (position > end && journal?.isSegmented !== true) islandsBeforeTheMark.push(position);
      return writev.call(this, chunks, position);
    });
    // The first island's checkpoint waits on the device; a second connection writes meanwhile.
    const release: Array<() => void> = [];
    const flushed = new Promise<void>((resolve) => release.push(resolve));
    const sync = PartialFile.prototype.sync;
    vi.spyOn(PartialFile.prototype, 'sync').mockImplementation(async function (this: PartialFile) {
      await flushed;
      return sync.call(this);
    });
    const first = session.writeAt(2000, new Uint8Array(500).fill(2));
    const second = session.writeAt(3000, new Uint8Array(500).fill(3));
    // Both writers ran as far as they can without the device: the second reached its write, or waits.
    await new Promise((resolve) => setImmediate(resolve));
    for (const resolve of release) resolve();
    await Promise.all([first, second]);
    expect(islandsBeforeTheMark).toEqual([]);
    expect((await readJournal(paths.journal))?.isSegmented).toBe(true);
    await session.close();
  });
});

describe('sealing the finished partial', () => {
  it('flushes a truncation of voided bytes past the total with the last flush', async () => {
    const { session } = openSession('sealed.bin', 600);
    await session.writeAt(0, new Uint8Array(1000).fill(1));
    await session.checkpoint(true);
    const flushes = vi.spyOn(PartialFile.prototype, 'sync');
    await session.seal(600);
    await session.flush();
    // Nothing was written since the checkpoint: only the truncation makes the last flush needed.
    expect(flushes).toHaveBeenCalled();
    await session.close();
  });
});
