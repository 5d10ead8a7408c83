import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { type DownloadEvent, type DownloadOptions, download, ErrorCode } from '@reget/core';
import { describe, expect, it } from 'vitest';
import { makeContent, sha256 } from '../content.js';
import { failureOf } from '../harness.js';
import type { ConformanceServer } from './target.js';

/** What the suite shares with one of its slices. */
export interface SuiteContext {
  readonly server: () => ConformanceServer;
  /** A new file on the server with the suite's content: its path and a destination for it. */
  readonly setup: () => Promise<{ path: string; destination: string }>;
  readonly options: (path: string, destination: string, events: DownloadEvent[]) => DownloadOptions;
  readonly content: Uint8Array;
  readonly overlap: number;
}

/**
 * A finished download, run again with the default policy: the file on disk is the remote's current
 * version (size and modification time, or size and the tail when the server gives no time), so the
 * call completes having fetched at most the overlap; or it is not, and EXISTS leaves it untouched.
 */
export function finishedSlice(suite: SuiteContext): void {
  describe('a finished download, run again', () => {
    for (const connections of [1, 3]) {
      it(`completes at once with ${connections} connection(s), fetching at most the overlap, the file untouched`, async () => {
        const { path, destination } = await suite.setup();
        await download({ ...suite.options(path, destination, []), connections });
        const before = await stat(destination);
        suite.server().resetCounters();
        const events: DownloadEvent[] = [];
        const again = await download({ ...suite.options(path, destination, events), connections });
        expect(again.isAlreadyComplete).toBe(true);
        expect(again.fetchedBytes).toBeLessThanOrEqual(suite.overlap);
        expect(suite.server().bytesSent()).toBeLessThanOrEqual(suite.overlap);
        expect(sha256(await readFile(destination))).toBe(sha256(suite.content));
        const after = await stat(destination);
        expect(after.mtimeMs).toBe(before.mtimeMs);
        expect(after.ino).toBe(before.ino);
        expect(events.at(-1)).toEqual({
          type: 'complete',
          size: suite.content.length,
          isAlreadyComplete: true,
        });
        await expect(stat(`${destination}.part`)).rejects.toThrow();
      });
    }

    it('fails EXISTS, the file untouched, when the remote changed since (same size, other bytes)', async () => {
      const { path, destination } = await suite.setup();
      await download(suite.options(path, destination, []));
      await suite.server().putFile(path, makeContent(suite.content.length, 99));
      suite.server().resetCounters();
      const error = await failureOf(download(suite.options(path, destination, [])));
      expect(error.code).toBe(ErrorCode.EXISTS);
      expect(suite.server().bytesSent()).toBeLessThanOrEqual(suite.overlap);
      expect(sha256(await readFile(destination))).toBe(sha256(suite.content));
    });

    it('fails EXISTS, the file untouched, when the file on disk has other bytes than the remote', async () => {
      const { path, destination } = await suite.setup();
      await download(suite.options(path, destination, []));
      // Same size, another tail, and a time that is no longer the server's.
      const other = Buffer.from(suite.content);
      other.fill(1, other.length - 100);
      await writeFile(destination, other);
      // Written by hand long ago: not the server's time (a server may have set its file's this second).
      await utimes(destination, new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
      const error = await failureOf(download(suite.options(path, destination, [])));
      expect(error.code).toBe(ErrorCode.EXISTS);
      expect(sha256(await readFile(destination))).toBe(sha256(other));
    });
  });
}
