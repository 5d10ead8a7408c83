import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, type MemoryServer, makeContent } from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter } from './contract.js';
import { download } from './download.js';
import type { DownloadEvent } from './events.js';

/** Several connections must never mix two versions, whatever order their answers arrive in. */
const size = 2 * 1024 * 1024;
const versionA = makeContent(size, 81);
const versionB = makeContent(size, 82);

/** The memory adapter, but the file is replaced just before the second read (a rollout mid-download). */
function replacedBeforeSecondRead(server: MemoryServer, hidePrecondition: boolean): Adapter {
  let reads = 0;
  return {
    ...server.adapter,
    async open(url, context) {
      const remote = await server.adapter.open(url, context);
      return {
        stat: (signal) => remote.stat(signal),
        async read(request) {
          reads += 1;
          if (reads === 2) await server.putFile('/f.bin', versionB);
          // Without If-Range (FTP, SFTP) the server cannot refuse the stale range itself.
          return remote.read(hidePrecondition ? { ...request, validator: undefined } : request);
        },
        close: () => remote.close(),
      };
    },
  };
}

describe('segments', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-segments-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  for (const hidePrecondition of [true, false]) {
    it(`ends as one version when the file changes between two connections' reads (If-Range ${hidePrecondition ? 'absent' : 'sent'})`, async () => {
      const server = createMemoryServer({ validator: hidePrecondition ? 'weak' : 'strong' });
      await server.putFile('/f.bin', versionA);
      const destination = join(directory, 'f.bin');
      const events: DownloadEvent[] = [];
      await download({
        url: server.url('/f.bin'),
        destination,
        adapters: [replacedBeforeSecondRead(server, hidePrecondition)],
        connections: 2,
        minSegmentBytes: 64 * 1024,
        retryDelayMs: 1,
        onEvent: (event) => events.push(event),
      });
      const file = await readFile(destination);
      expect(Buffer.compare(file, versionB)).toBe(0);
      expect(events.some((event) => event.type === 'restart' && event.reason === 'remote changed')).toBe(
        true,
      );
    });
  }

  it('falls back to one connection when a server answers a range with the whole file', async () => {
    const server = createMemoryServer();
    await server.putFile('/f.bin', versionA);
    server.setFaults({ ignoreRange: true });
    const destination = join(directory, 'f.bin');
    const events: DownloadEvent[] = [];
    await download({
      url: server.url('/f.bin'),
      destination,
      adapters: [server.adapter],
      connections: 4,
      minSegmentBytes: 64 * 1024,
      onEvent: (event) => events.push(event),
    });
    expect(Buffer.compare(await readFile(destination), versionA)).toBe(0);
    const segments = events.filter((event) => event.type === 'segments');
    expect(segments.at(-1)).toMatchObject({ used: 1, reason: expect.any(String) });
  });

  it('caps connections at the per-host maximum, says so, and lets the caller raise it', async () => {
    const server = createMemoryServer();
    await server.putFile('/f.bin', versionA);
    const run = async (maxConnectionsPerHost: number | undefined, name: string) => {
      const events: DownloadEvent[] = [];
      await download({
        url: server.url('/f.bin'),
        destination: join(directory, name),
        adapters: [server.adapter],
        connections: 20,
        maxConnectionsPerHost,
        minSegmentBytes: 1024,
        onEvent: (event) => events.push(event),
      });
      expect(Buffer.compare(await readFile(join(directory, name)), versionA)).toBe(0);
      return events.find((event) => event.type === 'segments');
    };
    expect(await run(undefined, 'a.bin')).toMatchObject({
      requested: 20,
      used: 16,
      reason: expect.stringMatching(/16 connections to one host/),
    });
    expect(await run(32, 'b.bin')).toMatchObject({ requested: 20, used: 20, reason: undefined });
  });
});
