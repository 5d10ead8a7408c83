import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DownloadEvent, download } from '@reget/core';
import { failureOf, type HttpTestServer, makeContent, sha256, startHttpServer } from '@reget/testkit';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createHttpAdapter } from './adapter.js';

// A fresh download costs one request: the GET's answer says what a HEAD would (size, validator,
// date), so no round trip is spent on a probe. A resume still probes first.
const content = makeContent(300 * 1024 + 9, 71);
let server: HttpTestServer;
let directory: string;

beforeAll(async () => {
  server = await startHttpServer();
  directory = await mkdtemp(join(tmpdir(), 'reget-http-one-request-'));
  await server.putFile('/one.bin', content);
});
afterAll(async () => {
  await server.close();
  await rm(directory, { recursive: true, force: true });
});
beforeEach(() => {
  server.setFaults({});
  server.resetCounters();
});

it('downloads a fresh file with a single GET, its probe event and modification time from that answer', async () => {
  const destination = join(directory, 'fresh.bin');
  const events: DownloadEvent[] = [];
  const result = await download({
    url: server.url('/one.bin'),
    destination,
    adapters: [createHttpAdapter()],
    onEvent: (event) => events.push(event),
  });
  expect(sha256(await readFile(destination))).toBe(sha256(content));
  expect(server.requests.map((request) => request.method)).toEqual(['GET']);
  expect(events.find((event) => event.type === 'probe')).toMatchObject({ total: content.length });
  expect(result.fetchedBytes).toBe(content.length);
  // The file has the server's Last-Modified, so a rerun finds it already complete without fetching it.
  server.resetCounters();
  const again = await download({ url: server.url('/one.bin'), destination, adapters: [createHttpAdapter()] });
  expect(again.isAlreadyComplete).toBe(true);
  expect(server.bytesSent()).toBe(0);
});

it('still probes before a resume, and before segments', async () => {
  const destination = join(directory, 'resumed.bin');
  server.setFaults({ dropAfterBytes: 100 * 1024, dropTimes: 1 });
  const cut = await failureOf(
    download({ url: server.url('/one.bin'), destination, adapters: [createHttpAdapter()], retries: 0 }),
  );
  expect(cut.code).toBe('PARTIAL');
  server.resetCounters();
  await download({ url: server.url('/one.bin'), destination, adapters: [createHttpAdapter()] });
  expect(server.requests[0]?.method).toBe('HEAD');
  expect(sha256(await readFile(destination))).toBe(sha256(content));
  server.resetCounters();
  const segmented = join(directory, 'segmented.bin');
  await download({
    url: server.url('/one.bin'),
    destination: segmented,
    adapters: [createHttpAdapter()],
    connections: 2,
    minSegmentBytes: 64 * 1024,
  });
  expect(server.requests[0]?.method).toBe('HEAD');
  expect(sha256(await readFile(segmented))).toBe(sha256(content));
});

it('a fresh download whose one answer is cut resumes from the bytes it wrote', async () => {
  const destination = join(directory, 'cut.bin');
  server.setFaults({ dropAfterBytes: 50_000, dropTimes: 1 });
  const result = await download({
    url: server.url('/one.bin'),
    destination,
    adapters: [createHttpAdapter()],
    retryDelayMs: 1,
  });
  expect(result.resumes).toBe(1);
  expect(sha256(await readFile(destination))).toBe(sha256(content));
});
