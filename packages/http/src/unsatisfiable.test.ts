import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DownloadEvent, download, ErrorCode } from '@reget/core';
import { failureOf, type HttpTestServer, makeContent, rawResponse, startHttpServer } from '@reget/testkit';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createHttpAdapter } from './adapter.js';

const content = makeContent(400 * 1024, 61);
let server: HttpTestServer;
let directory: string;

beforeAll(async () => {
  server = await startHttpServer();
  directory = await mkdtemp(join(tmpdir(), 'reget-http-416-'));
});
afterAll(async () => {
  await server.close();
  await rm(directory, { recursive: true, force: true });
});
beforeEach(() => {
  server.setFaults({});
});

/** A partial of the first 100 KiB of `name`, left by a transfer cut there. */
async function partialOf(name: string): Promise<{ url: string; destination: string }> {
  await server.putFile(`/${name}`, content);
  const url = server.url(`/${name}`);
  const destination = join(directory, name);
  server.setFaults({ dropAfterBytes: 100 * 1024 });
  const cut = await failureOf(download({ url, destination, adapters: [createHttpAdapter()], retries: 0 }));
  expect(cut.code).toBe(ErrorCode.PARTIAL);
  server.setFaults({});
  return { url, destination };
}

/** Downloads to the end, byte-identical, after exactly one restart for a server refusing ranges. */
async function expectRestartForRanges(url: string, destination: string): Promise<void> {
  const events: DownloadEvent[] = [];
  await download({
    url,
    destination,
    adapters: [createHttpAdapter()],
    retries: 0,
    onEvent: (event) => events.push(event),
  });
  expect(Buffer.compare(await readFile(destination), content)).toBe(0);
  const restarts = events.filter((event) => event.type === 'restart');
  expect(restarts.map((event) => event.reason)).toEqual(['ranges not supported']);
}

// FAULTS HTTP-03 (c): a 416 that does not name the size is ambiguous. The size is asked again
// before anything is decided: the file is unchanged and larger than the refused start, so the
// server cannot serve ranges — not "the remote changed", which would be a lie in the log.
it('asks the size again after a 416 without a size, and tells a server that refuses ranges from a change', async () => {
  const { url, destination } = await partialOf('refuses.bin');
  server.setFaults({ unsatisfiableWithoutTotal: 'any-range' });
  server.resetCounters();
  await expectRestartForRanges(url, destination);
  const probes = server.requests.filter((request) => request.method === 'HEAD');
  // The attempt's probe and the probe again after the 416; the restart from zero then starts with
  // one request, whose answer says what a probe would.
  expect(probes.length).toBe(2);
});

it('with restarts refused, keeps the partial and says the server does not resume', async () => {
  const { url, destination } = await partialOf('refused-restart.bin');
  server.setFaults({ unsatisfiableWithoutTotal: 'any-range' });
  const error = await failureOf(
    download({ url, destination, adapters: [createHttpAdapter()], retries: 0, allowRestart: false }),
  );
  expect(error.code).toBe(ErrorCode.RANGE_NOT_SUPPORTED);
  const partial = await readFile(`${destination}.part`);
  expect(partial.length).toBe(100 * 1024);
  expect(Buffer.compare(partial, content.subarray(0, 100 * 1024))).toBe(0);
});

it('takes a 416 naming the same size, above the refused start, for a server that refuses ranges', async () => {
  const { url, destination } = await partialOf('names-size.bin');
  // Every ranged GET inside the file: 416 with the file's own size, the one the probe gave.
  server.setFaults({
    raw: (request) =>
      request.method === 'GET' && /^bytes=[1-9]/.test(String(request.headers.range ?? ''))
        ? rawResponse('416 Range Not Satisfiable', [
            `Content-Range: bytes */${content.length}`,
            'Content-Length: 0',
          ])
        : undefined,
  });
  await expectRestartForRanges(url, destination);
});
