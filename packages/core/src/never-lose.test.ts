import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, failureOf, type MemoryValidatorMode, makeContent, sha256 } from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { interrupt, memoryFixture } from '../test/memory-fixture.js';
import { download } from './download.js';
import { ErrorCode, RegetError } from './errors.js';
import type { DownloadOptions } from './options.js';

/** Invariant 2, never lose: errors, aborts and kill -9 leave a partial the next run resumes from. */
const size = 300_000;
const overlap = 65_536;
const content = makeContent(size, 31);
const modes: MemoryValidatorMode[] = ['strong', 'weak', 'none'];

describe('never lose', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-lose-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const setup = (validator: MemoryValidatorMode = 'strong') => memoryFixture(directory, content, validator);

  for (const mode of modes) {
    for (const tail of [30_000, 150_000]) {
      it(`resumes after kill -9 left ${tail} bytes the journal does not claim (${mode})`, async () => {
        const { server, destination, options } = await setup(mode);
        await interrupt(server, options(), 100_000);
        await appendFile(`${destination}.part`, content.subarray(100_000, 100_000 + tail));
        const onDisk = 100_000 + tail;
        const result = await download(options());
        expect(sha256(await readFile(destination))).toBe(sha256(content));
        expect(result.restarts).toBe(0);
        expect(server.reads[0]!.start).toBeGreaterThanOrEqual(onDisk - overlap);
        expect(server.bytesSent()).toBeLessThanOrEqual(size - onDisk + overlap);
        expect(result.fetchedBytes).toBeLessThanOrEqual(size - onDisk + overlap);
      });

      it(`detects a wrong unjournalled tail of ${tail} bytes and still ends correct (${mode})`, async () => {
        const { server, destination, events, options, part } = await setup(mode);
        await interrupt(server, options(), 100_000);
        const wrong = content.subarray(100_000, 100_000 + tail).map((byte) => byte ^ 0xff);
        await appendFile(`${destination}.part`, wrong);
        const before = await part();
        const refused = await failureOf(download(options({ allowRestart: false })));
        expect(refused.code).toBe(ErrorCode.REMOTE_CHANGED);
        expect(Buffer.compare(await part(), before)).toBe(0);
        const result = await download(options());
        expect(result.restarts).toBe(1);
        expect(events.some((event) => event.type === 'restart')).toBe(true);
        expect(sha256(await readFile(destination))).toBe(sha256(content));
      });
    }

    it(`treats a corrupt, foreign or over-claiming journal as untrusted and verifies the bytes (${mode})`, async () => {
      const { server, destination, options } = await setup(mode);
      const journals = [
        '{"version":1,"url":"mem://memory/file.bin","ranges":[[0,',
        JSON.stringify({
          version: 1,
          url: 'mem://memory/other.bin',
          total: size,
          validator: null,
          ranges: [[0, 5]],
        }),
        JSON.stringify({
          version: 7,
          url: 'mem://memory/file.bin',
          total: size,
          validator: null,
          ranges: [],
        }),
        'garbage',
      ];
      for (const journal of journals) {
        await writeFile(`${destination}.part`, content.subarray(0, 200_000));
        await writeFile(`${destination}.reget`, journal);
        server.resetCounters();
        const result = await download(options());
        expect(sha256(await readFile(destination)), journal).toBe(sha256(content));
        expect(result.restarts, journal).toBe(0);
        expect(server.bytesSent(), journal).toBeLessThanOrEqual(size - 200_000 + overlap);
        await rm(destination);
      }
    });

    it(`keeps the partial and a journal that claims no more than the file on abort (${mode})`, async () => {
      const { server, destination, options, part } = await setup(mode);
      const url = 'mem://alice:secret@memory/file.bin?token=tok3n';
      for (const at of [50_000, 170_000, 260_000]) {
        const controller = new AbortController();
        const aborted = await failureOf(
          download(
            options({
              url,
              signal: controller.signal,
              progressIntervalMs: 0,
              onEvent: (event) => {
                if (event.type === 'progress' && event.bytesOnDisk >= at) controller.abort();
              },
            }),
          ),
        );
        expect(aborted.code).toBe(ErrorCode.ABORTED);
        const kept = await part();
        expect(kept.length).toBeGreaterThanOrEqual(at);
        expect(Buffer.compare(kept, content.subarray(0, kept.length))).toBe(0);
        const text = await readFile(`${destination}.reget`, 'utf8');
        const journal = JSON.parse(text) as { ranges: number[][] };
        for (const [start, end] of journal.ranges) {
          expect(start!).toBeLessThan(end!);
          expect(end!).toBeLessThanOrEqual(kept.length);
        }
        expect(text).not.toMatch(/alice|secret|tok3n/);
        // One connection writes contiguously: the journal keeps trusting the file length for its tail.
        expect(journal).not.toHaveProperty('segmented');
        expect((await stat(`${destination}.reget`)).mode & 0o777).toBe(0o600);
        expect((await readdir(directory)).sort()).toEqual(['file.bin.part', 'file.bin.reget']);
      }
      server.resetCounters();
      const onDisk = (await part()).length;
      await download(options({ url }));
      expect(sha256(await readFile(destination))).toBe(sha256(content));
      expect(server.bytesSent()).toBeLessThanOrEqual(size - onDisk + overlap);
    });
  }

  for (const source of ['an unjournalled tail', 'a partial without journal']) {
    it(`never journals ${source} before the overlap check passed (a drop mid-check, strong validator)`, async () => {
      const { server, destination, options } = await setup('strong');
      await interrupt(server, options(), 100_000);
      if (source === 'a partial without journal') await rm(`${destination}.reget`);
      // The bytes the overlap window ends on are wrong; the window's first 1000 bytes are right.
      const tail = content
        .subarray(100_000, 200_000)
        .map((byte, index) => (index >= 90_000 ? byte ^ 0xff : byte));
      await appendFile(`${destination}.part`, tail);
      server.setFaults({ dropAfterBytes: 1000, dropTimes: 1 });
      const result = await download(options({ retries: 2 }));
      expect(sha256(await readFile(destination))).toBe(sha256(content));
      expect(result.restarts).toBe(1);
    });
  }

  it('never takes holes for bytes after kill -9 of a segmented download with a lagging journal', async () => {
    const big = makeContent(1_000_000, 32);
    const server = createMemoryServer({ validator: 'strong', chunkBytes: 4096 });
    await server.putFile('/big.bin', big);
    const destination = join(directory, 'big.bin');
    const base = { url: server.url('/big.bin'), destination, adapters: [server.adapter], retries: 0 };
    // Four connections each write 60 kB at their own offset, then every connection drops.
    server.setFaults({ dropAfterBytes: 60_000 });
    const cut = await failureOf(download({ ...base, connections: 4, minSegmentBytes: 65_536 }));
    expect([ErrorCode.PARTIAL, ErrorCode.NETWORK]).toContain(cut.code);
    const journal = JSON.parse(await readFile(`${destination}.reget`, 'utf8')) as Record<string, unknown>;
    expect(journal.segmented).toBe(true);
    expect((journal.ranges as unknown[]).length).toBeGreaterThan(1);
    // kill -9 just after the first checkpoint: the journal on disk claims none of the bytes yet.
    await writeFile(`${destination}.reget`, JSON.stringify({ ...journal, ranges: [] }));
    server.setFaults({});
    // A small overlap window lies inside the last island's bytes, so only the journal can tell.
    await download({ ...base, overlapBytes: 1024 });
    expect(sha256(await readFile(destination))).toBe(sha256(big));
  });

  describe('a failure before any body leaves nothing behind', () => {
    const cases: Array<[string, () => RegetError[], Partial<DownloadOptions>]> = [
      ['NOT_FOUND on the first read', () => [new RegetError(ErrorCode.NOT_FOUND, 'Gone.')], {}],
      ['PERMISSION on the first read', () => [new RegetError(ErrorCode.PERMISSION, 'No.')], {}],
      [
        'NETWORK on every read until retries run out',
        () => [1, 2, 3].map(() => new RegetError(ErrorCode.NETWORK, 'Reset.')),
        { retries: 2 },
      ],
    ];
    for (const [name, errors, extra] of cases) {
      it(name, async () => {
        const { server, options } = await setup();
        const expected = errors()[0]!.code;
        server.setFaults({ readErrors: errors() });
        expect((await failureOf(download(options(extra)))).code).toBe(expected);
        expect(server.reads.length).toBeGreaterThan(0);
        expect(await readdir(directory)).toEqual([]);
      });
    }

    it('AUTH on stat', async () => {
      const { server, options } = await setup();
      const error = await failureOf(download(options({ url: server.unauthorizedUrl!('/file.bin') })));
      expect(error.code).toBe(ErrorCode.AUTH);
      expect(await readdir(directory)).toEqual([]);
    });
  });

  it('keeps the partial and its journal when a resume fails for good', async () => {
    const { server, destination, options, part } = await setup('weak');
    await interrupt(server, options(), 200_000);
    const before = await part();
    const journal = await readFile(`${destination}.reget`, 'utf8');
    for (const error of [
      new RegetError(ErrorCode.NOT_FOUND, 'Gone.'),
      new RegetError(ErrorCode.PERMISSION, 'No.'),
      new RegetError(ErrorCode.NETWORK, 'Reset.'),
    ]) {
      server.setFaults({ readErrors: [error] });
      expect((await failureOf(download(options()))).code).toBe(error.code);
      expect(Buffer.compare(await part(), before)).toBe(0);
      expect(await readFile(`${destination}.reget`, 'utf8')).toBe(journal);
    }
  });
});
