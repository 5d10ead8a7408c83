import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, failureOf, makeContent, pieceHashesOf } from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter } from './contract.js';
import { download } from './download.js';
import { ErrorCode } from './errors.js';
import type { DownloadEvent } from './events.js';

// Regressions found by reviewing the mirrors change: each of these once ended in a wrong file, an
// "undefined" failure, or bytes thrown away.
const size = 1024 * 1024;
const content = Buffer.from(makeContent(size, 7));
const pieceLength = 128 * 1024;

const pieceHashes = (data: Uint8Array) => pieceHashesOf(data, pieceLength);

describe('mirrors: what review found', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-mirrors-review-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('a segmented partial of one URL, resumed twice under another with a cut between, keeps its holes missing', async () => {
    const server = createMemoryServer({ validator: 'strong' });
    await server.putFile('/a.bin', content);
    await server.putFile('/b.bin', content);
    const destination = join(directory, 'f.bin');
    // [0, 100 KiB) and [600, 700 KiB) are the file's; between them a hole of zeros.
    const part = Buffer.alloc(700 * 1024);
    content.copy(part, 0, 0, 100 * 1024);
    content.copy(part, 600 * 1024, 600 * 1024, 700 * 1024);
    await writeFile(`${destination}.part`, part);
    const journal = {
      version: 1,
      url: server.url('/a.bin'),
      total: size,
      ranges: [
        [0, 100 * 1024],
        [600 * 1024, 700 * 1024],
      ],
      segmented: true,
    };
    await writeFile(`${destination}.reget`, JSON.stringify(journal));
    const options = { url: server.url('/b.bin'), destination, adapters: [server.adapter], retryDelayMs: 1 };
    server.setFaults({ dropAfterBytes: 150 * 1024, dropTimes: 1 });
    const events: DownloadEvent[] = [];
    const onEvent = (event: DownloadEvent) => events.push(event);
    expect((await failureOf(download({ ...options, retries: 0, onEvent }))).code).toBe(ErrorCode.PARTIAL);
    // The run under the other URL says, in its own journal, that the bytes lie apart.
    expect(JSON.parse(await readFile(`${destination}.reget`, 'utf8'))).toMatchObject({ segmented: true });
    server.setFaults({});
    await download({ ...options, onEvent });
    expect(Buffer.compare(await readFile(destination), content)).toBe(0);
  });

  it('one source with piece hashes that keeps serving a bad piece: CHECKSUM, said plainly, partial kept', async () => {
    const server = createMemoryServer({ validator: 'strong' });
    const bad = Buffer.from(content);
    bad[300 * 1024] = bad[300 * 1024]! ^ 1;
    await server.putFile('/a.bin', bad);
    const destination = join(directory, 'p.bin');
    const events: DownloadEvent[] = [];
    const error = await failureOf(
      download({
        url: server.url('/a.bin'),
        destination,
        adapters: [server.adapter],
        retries: 5,
        retryDelayMs: 1,
        pieces: pieceHashes(content),
        onEvent: (event) => events.push(event),
      }),
    );
    expect(error.code).toBe(ErrorCode.CHECKSUM);
    expect(error.message).toMatch(/failed their piece hash 3 times/);
    // The only source is never dropped: nothing else could fetch the piece.
    expect(events.some((event) => event.type === 'source-dropped')).toBe(false);
    expect((await stat(`${destination}.part`)).size).toBeGreaterThan(0);
  });

  it('mirrors that all keep failing are retried like one server, and fail with what they said', async () => {
    const server = createMemoryServer({ validator: 'strong' });
    await server.putFile('/a.bin', content);
    await server.putFile('/b.bin', content);
    server.setFaults({ dropAfterBytes: 1000 });
    const destination = join(directory, 'g.bin');
    const events: DownloadEvent[] = [];
    const error = await failureOf(
      download({
        url: server.url('/a.bin'),
        mirrors: [server.url('/b.bin')],
        destination,
        adapters: [server.adapter],
        retries: 3,
        retryDelayMs: 1,
        onEvent: (event) => events.push(event),
      }),
    );
    expect(error.code).toBe(ErrorCode.PARTIAL);
    expect(error.message).not.toMatch(/undefined/);
    // Never every source dropped: the last one left stays, and the retry budget decides.
    const dropped = events.filter((event) => event.type === 'source-dropped');
    expect(dropped.length).toBeLessThan(2);
  });

  it('a URL that serves no ranges, with a mirror that does: a resume keeps the bytes on disk', async () => {
    const server = createMemoryServer({ validator: 'strong' });
    const bigger = makeContent(4 * size, 9);
    await server.putFile('/a.bin', bigger);
    await server.putFile('/b.bin', bigger);
    const adapter: Adapter = {
      ...server.adapter,
      async open(url, context) {
        const remote = await server.adapter.open(url, context);
        const isPrimary = url.pathname === '/a.bin';
        return {
          stat: async (signal) => ({
            ...(await remote.stat(signal)),
            ...(isPrimary ? { acceptsRanges: false } : {}),
          }),
          read: (request) => remote.read(request),
          close: () => remote.close(),
        };
      },
    };
    const destination = join(directory, 'r.bin');
    const events: DownloadEvent[] = [];
    const options = {
      url: server.url('/a.bin'),
      mirrors: [server.url('/b.bin')],
      destination,
      adapters: [adapter],
      retryDelayMs: 1,
      onEvent: (event: DownloadEvent) => events.push(event),
    };
    server.setFaults({ dropAfterBytes: 2 * size, dropTimes: 1 });
    await failureOf(download({ ...options, retries: 0 }));
    server.setFaults({});
    await download(options);
    expect(Buffer.compare(await readFile(destination), bigger)).toBe(0);
    expect(events.filter((event) => event.type === 'restart')).toEqual([]);
  });
});
