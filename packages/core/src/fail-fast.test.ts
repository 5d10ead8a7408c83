import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, failureOf, type MemoryServer, makeContent, sha256 } from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter } from './contract.js';
import { download } from './download.js';
import { connectionError, ErrorCode, RegetError } from './errors.js';
import type { DownloadEvent } from './events.js';

/** A port on 127.0.0.1 where nothing listens: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Connects a real socket to `port` and throws what core's `connectionError` makes of a failure. */
function dial(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => reject(connectionError(error, `127.0.0.1:${port}`) ?? error));
  });
}

/** The memory adapter behind a real TCP dial to `port()` at every open (a server that comes and goes). */
function behindPort(adapter: Adapter, port: () => number): Adapter {
  return {
    ...adapter,
    async open(url, context) {
      await dial(port());
      return adapter.open(url, context);
    },
  };
}

describe('a connection refused before any answer fails at once (a typo in the port)', () => {
  let directory: string;
  let server: MemoryServer;
  let events: DownloadEvent[];
  const content = makeContent(200_000, 5);

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-fail-fast-'));
    server = createMemoryServer();
    await server.putFile('/file.bin', content);
    events = [];
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('does not retry a refused first connection, and says so with connectFailure', async () => {
    const port = await closedPort();
    const error = await failureOf(
      download({
        url: server.url('/file.bin'),
        destination: join(directory, 'file.bin'),
        adapters: [behindPort(server.adapter, () => port)],
        retries: 5,
        retryDelayMs: 1,
        onEvent: (event) => events.push(event),
      }),
    );
    expect(error.code).toBe(ErrorCode.NETWORK);
    expect(error.details.connectFailure).toBe('refused');
    expect(events.filter((event) => event.type === 'retry')).toHaveLength(0);
  });

  it('retries a refusal once the server has answered in this download (a restarting server)', async () => {
    const listener = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const livePort = (listener.address() as { port: number }).port;
    const deadPort = await closedPort();
    let opens = 0;
    // First open reaches the server; the read then fails, and the next two opens are refused.
    server.setFaults({ readErrors: [new RegetError(ErrorCode.NETWORK, 'Reset.')] });
    try {
      const result = await download({
        url: server.url('/file.bin'),
        destination: join(directory, 'file.bin'),
        adapters: [behindPort(server.adapter, () => (++opens === 2 || opens === 3 ? deadPort : livePort))],
        retries: 5,
        retryDelayMs: 1,
        onEvent: (event) => events.push(event),
      });
      expect(result.size).toBe(content.length);
    } finally {
      listener.close();
    }
    const retried = events.flatMap((event) =>
      event.type === 'retry' ? [event.error.details.connectFailure] : [],
    );
    expect(retried).toEqual([undefined, 'refused', 'refused']);
    expect(sha256(await readFile(join(directory, 'file.bin')))).toBe(sha256(content));
  });

  it('retries a refusal when an earlier run left a partial with its journal (the server was there)', async () => {
    const destination = join(directory, 'file.bin');
    server.setFaults({ dropAfterBytes: 50_000, dropTimes: 1 });
    const first = await failureOf(
      download({ url: server.url('/file.bin'), destination, adapters: [server.adapter], retries: 0 }),
    );
    expect(first.code).toBe(ErrorCode.PARTIAL);
    server.setFaults({});
    const listener = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const livePort = (listener.address() as { port: number }).port;
    const deadPort = await closedPort();
    let opens = 0;
    try {
      const result = await download({
        url: server.url('/file.bin'),
        destination,
        adapters: [behindPort(server.adapter, () => (++opens === 1 ? deadPort : livePort))],
        retries: 3,
        retryDelayMs: 1,
        onEvent: (event) => events.push(event),
      });
      expect(result.resumes).toBe(1);
    } finally {
      listener.close();
    }
    expect(events.filter((event) => event.type === 'retry')).toHaveLength(1);
  });
});
