import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Adapter, type DownloadEvent, DownloadQueue, download, ErrorCode } from '@reget/core';
import { makeContent, type SftpServer, sha256, startSftpServer } from '@reget/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSftpAdapter } from './adapter.js';

// Connections kept per host across the remotes of one adapter, counted at the embedded server.
describe('the SFTP connection pool', () => {
  let server: SftpServer;
  let directory: string;
  let adapter: Adapter;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-sftp-pool-'));
  });
  afterEach(async () => {
    await adapter?.close?.();
    await server?.close();
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });
  const start = async (options: Parameters<typeof createSftpAdapter>[0] = {}) => {
    server = await startSftpServer();
    adapter = createSftpAdapter({ hostKey: server.hostKey.fingerprint, ...options });
  };
  const fetch = (name: string, onEvent?: (event: DownloadEvent) => void) =>
    download({
      url: server.url(`/${name}`),
      destination: join(directory, name),
      adapters: [adapter],
      retryDelayMs: 1,
      onEvent,
    });

  it('downloads 50 files through a queue of 4 over one SSH connection', async () => {
    await start();
    const contents = Array.from({ length: 50 }, (_, index) => makeContent(2_000 + index * 97, index));
    await Promise.all(contents.map((content, index) => server.putFile(`/many-${index}.bin`, content)));
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
    expect(server.connectionsAccepted()).toBe(1);
    expect(server.loginAttempts().filter((attempt) => attempt.method === 'password')).toHaveLength(1);
    // One channel per file running at once, kept for the next file.
    expect(server.sftpChannelsOpened()).toBeLessThanOrEqual(4);
  });

  it('logs in again when the server closed the idle connection, without a failed attempt', async () => {
    await start();
    await server.putFile('/a.bin', makeContent(30_000, 1));
    await server.putFile('/b.bin', makeContent(30_000, 2));
    await fetch('a.bin');
    await server.closeConnections();
    const retries: DownloadEvent[] = [];
    const result = await fetch('b.bin', (event) => event.type === 'retry' && retries.push(event));
    expect(retries).toEqual([]);
    expect(result.resumes).toBe(0);
    expect(server.connectionsAccepted()).toBe(2);
  });

  it('retries once on a new connection when the pooled one turns out closed on its first request', async () => {
    await start();
    const content = makeContent(30_000, 10);
    await server.putFile('/f.bin', content);
    await fetch('f.bin');
    // Closed by the server in this same turn of the event loop: the client cannot have seen it
    // when it takes the pooled connection, only when its first request fails.
    const closing = server.closeConnections();
    const remote = await adapter.open(new URL(server.url('/f.bin')), {
      signal: new AbortController().signal,
      connectTimeoutMs: 5_000,
    });
    try {
      const stat = await remote.stat(new AbortController().signal);
      expect(stat.size).toBe(content.length);
      const response = await remote.read({ start: 0, signal: new AbortController().signal });
      const chunks: Uint8Array[] = [];
      for await (const chunk of response.body) chunks.push(chunk);
      expect(sha256(Buffer.concat(chunks))).toBe(sha256(content));
    } finally {
      await remote.close();
    }
    await closing;
    expect(server.connectionsAccepted()).toBe(2);
  });

  it('hands out no more a connection whose read timed out, and ends it once idle', async () => {
    await start();
    await server.putFile('/stall.bin', makeContent(200_000, 3));
    await server.putFile('/next.bin', makeContent(20_000, 4));
    server.setFaults({ stallAfterBytes: 50_000 });
    const stalled = download({
      url: server.url('/stall.bin'),
      destination: join(directory, 'stall.bin'),
      adapters: [adapter],
      idleTimeoutMs: 300,
      retries: 0,
    });
    await expect(stalled).rejects.toMatchObject({ code: ErrorCode.TIMEOUT });
    server.setFaults({});
    expect(server.connectionsAccepted()).toBe(1);
    await fetch('next.bin');
    expect(server.connectionsAccepted()).toBe(2);
    // The timed-out connection was closed by the client, not kept for later.
    expect(server.openConnections()).toBe(1);
  });

  it('ends the channel of an aborted read and reads the next file on a new channel', async () => {
    await start();
    await server.putFile('/big.bin', makeContent(2_000_000, 5));
    await server.putFile('/small.bin', makeContent(10_000, 6));
    server.setFaults({ stallAfterBytes: 100_000 });
    const controller = new AbortController();
    const stalled = download({
      url: server.url('/big.bin'),
      destination: join(directory, 'big.bin'),
      adapters: [adapter],
      signal: controller.signal,
    });
    await once(server.events, 'stall');
    const channelsBefore = server.sftpChannelsOpened();
    controller.abort();
    await expect(stalled).rejects.toMatchObject({ code: ErrorCode.ABORTED });
    server.setFaults({});
    await fetch('small.bin');
    expect(server.connectionsAccepted()).toBe(1);
    expect(server.sftpChannelsOpened()).toBe(channelsBefore + 1);
  });

  it('opens a connection per remote with pool: false', async () => {
    await start({ pool: false });
    await server.putFile('/c.bin', makeContent(5_000, 7));
    await fetch('c.bin');
    await fetch('c.bin');
    expect(server.connectionsAccepted()).toBe(2);
    expect(server.openConnections()).toBe(0);
  });

  it('does not share a connection with a URL that carries another password', async () => {
    await start();
    await server.putFile('/d.bin', makeContent(5_000, 8));
    await fetch('d.bin');
    const refused = download({
      url: server.unauthorizedUrl('/d.bin'),
      destination: join(directory, 'refused.bin'),
      adapters: [adapter],
    });
    await expect(refused).rejects.toMatchObject({ code: ErrorCode.AUTH });
    expect(server.connectionsAccepted()).toBe(2);
  });

  it('lets the process go: close() ends the idle connections', async () => {
    await start();
    await server.putFile('/e.bin', makeContent(5_000, 9));
    await fetch('e.bin');
    expect(server.openConnections()).toBe(1);
    await adapter.close?.();
    await waitFor(() => server.openConnections() === 0);
  });
});

/** Resolves once `condition` holds, polling on the event loop (the server's close events run between). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
