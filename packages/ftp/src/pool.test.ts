import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Adapter, type DownloadEvent, download, ErrorCode } from '@reget/core';
import { type FtpTestServer, makeContent, sha256, startFtpServer } from '@reget/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFtpAdapter, type FtpAdapterOptions } from './adapter.js';

// Control connections kept per host across the remotes of one adapter, counted at the embedded server.
describe('the FTP connection pool', () => {
  let server: FtpTestServer;
  let directory: string;
  let adapter: Adapter;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-ftp-pool-'));
  });
  afterEach(async () => {
    await adapter?.close?.();
    await server?.close();
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });
  const start = async (options: FtpAdapterOptions = {}) => {
    server = await startFtpServer({ user: 'alice', password: 'p@ss word' });
    adapter = createFtpAdapter(options);
  };
  const fetch = (name: string, onEvent?: (event: DownloadEvent) => void) =>
    download({
      url: server.url(`/${name}`),
      destination: join(directory, name),
      adapters: [adapter],
      retryDelayMs: 1,
      onEvent,
    });

  it('logs in again when the server closed the idle connection, without a failed attempt', async () => {
    await start();
    await server.putFile('/a.bin', makeContent(30_000, 1));
    await server.putFile('/b.bin', makeContent(30_000, 2));
    await fetch('a.bin');
    await server.closeControlConnections();
    const retries: DownloadEvent[] = [];
    const result = await fetch('b.bin', (event) => event.type === 'retry' && retries.push(event));
    expect(retries).toEqual([]);
    expect(result.resumes).toBe(0);
    expect(server.controlConnections()).toBe(2);
  });

  it('logs in once more when the pooled connection turns out closed on its first command', async () => {
    await start();
    const content = makeContent(30_000, 3);
    await server.putFile('/c.bin', content);
    await fetch('c.bin');
    // Closed by the server in this same turn of the event loop: the client cannot have seen it
    // when it takes the pooled connection, only when its first command fails.
    const closing = server.closeControlConnections();
    const remote = await adapter.open(new URL(server.url('/c.bin')), {
      signal: new AbortController().signal,
      connectTimeoutMs: 5_000,
    });
    try {
      const stat = await remote.stat(new AbortController().signal);
      expect(stat.size).toBe(content.length);
    } finally {
      await remote.close();
    }
    await closing;
    expect(server.controlConnections()).toBe(2);
  });

  it('does not retry a refusal on a pooled connection', async () => {
    await start();
    await server.putFile('/d.bin', makeContent(3_000, 4));
    await fetch('d.bin');
    await expect(fetch('missing.bin')).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    expect(server.controlConnections()).toBe(1);
  });

  it('never lends again a connection whose transfer was cut', async () => {
    await start();
    const content = makeContent(300_000, 5);
    await server.putFile('/cut.bin', content);
    server.setFaults({ dropAfterBytes: 100_000, dropTimes: 1, dropReply: 426 });
    const result = await fetch('cut.bin');
    server.setFaults({});
    expect(result.resumes).toBe(1);
    expect(sha256(await readFile(join(directory, 'cut.bin')))).toBe(sha256(content));
    // The cut transfer's connection was closed; the retry logged in anew.
    expect(server.controlConnections()).toBe(2);
    expect(server.openControlConnections()).toBe(1);
  });

  it('never lends again a connection whose transfer was aborted', async () => {
    await start();
    await server.putFile('/big.bin', makeContent(2_000_000, 6));
    await server.putFile('/small.bin', makeContent(10_000, 7));
    server.setFaults({ stallAfterBytes: 100_000 });
    const controller = new AbortController();
    const stalled = download({
      url: server.url('/big.bin'),
      destination: join(directory, 'big.bin'),
      adapters: [adapter],
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'progress' && event.bytesOnDisk > 0) controller.abort();
      },
    });
    await expect(stalled).rejects.toMatchObject({ code: ErrorCode.ABORTED });
    server.setFaults({});
    await fetch('small.bin');
    expect(server.controlConnections()).toBe(2);
  });

  it('logs in for every remote with pool: false', async () => {
    await start({ pool: false });
    await server.putFile('/e.bin', makeContent(5_000, 8));
    await fetch('e.bin');
    await fetch('e.bin');
    expect(server.controlConnections()).toBe(2);
    await waitFor(() => server.openControlConnections() === 0);
  });

  it('does not share a connection with a URL that carries another password', async () => {
    await start();
    await server.putFile('/f.bin', makeContent(5_000, 9));
    await fetch('f.bin');
    const refused = download({
      url: server.unauthorizedUrl?.('/f.bin') ?? '',
      destination: join(directory, 'refused.bin'),
      adapters: [adapter],
    });
    await expect(refused).rejects.toMatchObject({ code: ErrorCode.AUTH });
    expect(server.controlConnections()).toBe(2);
  });

  it('keeps no more idle connections than maxIdlePerHost', async () => {
    await start({ pool: { maxIdlePerHost: 1 } });
    await server.putFile('/h.bin', makeContent(200_000, 11));
    await server.putFile('/i.bin', makeContent(200_000, 12));
    await Promise.all([fetch('h.bin'), fetch('i.bin')]);
    expect(server.controlConnections()).toBe(2);
    await waitFor(() => server.openControlConnections() === 1);
    await fetch('h.bin');
    expect(server.controlConnections()).toBe(2);
  });

  it('lets the process go: close() ends the idle connections', async () => {
    await start();
    await server.putFile('/g.bin', makeContent(5_000, 10));
    await fetch('g.bin');
    expect(server.openControlConnections()).toBe(1);
    await adapter.close?.();
    await waitFor(() => server.openControlConnections() === 0);
  });
});

/** Resolves once `condition` holds, checking after each turn of the event loop. */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
