import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DownloadQueue } from '@reget/core';
import { HttpTestServer, makeContent, sha256 } from '@reget/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpAdapter } from './adapter.js';

// Keep-alive connections shared by the remotes of one adapter, counted at the embedded server.
describe('HTTP keep-alive across remotes', () => {
  let server: HttpTestServer;
  let directory: string;
  beforeAll(async () => {
    server = await HttpTestServer.start();
    directory = await mkdtemp(join(tmpdir(), 'reget-http-keep-alive-'));
  });
  afterAll(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('downloads 50 files through a queue of 4 over at most 4 connections, and close() ends them', async () => {
    const adapter = createHttpAdapter();
    const contents = Array.from({ length: 50 }, (_, index) => makeContent(2_000 + index * 97, index));
    await Promise.all(contents.map((content, index) => server.putFile(`/many-${index}.bin`, content)));
    const accepted = server.connectionsAccepted();
    const queue = new DownloadQueue({ concurrency: 4 });
    const items = contents.map((_, index) =>
      queue.add({
        url: server.url(`/many-${index}.bin`),
        destination: join(directory, `many-${index}.bin`),
        adapters: [adapter],
      }),
    );
    await Promise.all(items.map((item) => item.result));
    for (const [index, content] of contents.entries()) {
      expect(sha256(await readFile(join(directory, `many-${index}.bin`)))).toBe(sha256(content));
    }
    expect(server.connectionsAccepted() - accepted).toBeLessThanOrEqual(4);
    expect(server.openConnections()).toBeGreaterThan(0);
    await adapter.close?.();
    await server.whenConnectionsClosed();
  });
});
