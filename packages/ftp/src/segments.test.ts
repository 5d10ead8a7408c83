import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DownloadEvent, download, ErrorCode } from '@reget/core';
import { type FtpTestServer, makeContent, sha256, startFtpServer } from '@reget/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFtpAdapter } from './adapter.js';

/** Per control connection (1-based accept order) hooks of the proxy. */
interface ProxyHooks {
  /** Rewrite a client command line. */
  command?(index: number, line: string): string;
  /** Hold a server reply line until the returned promise resolves. */
  hold?(index: number, line: string): Promise<void> | undefined;
  /** Refuse a connection when this many are already open. */
  limit?: number;
}

interface Proxy {
  port: number;
  maxConcurrent: number;
  openNow(): number;
  accepted: number;
  commands: Array<[number, string]>;
  close(): Promise<void>;
}

/**
 * A line-level proxy for FTP control connections (data connections go straight to the server): it
 * can rewrite a connection's commands, hold its replies, and counts connections open at once.
 */
async function startProxy(target: number, hooks: ProxyHooks): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let open = 0;
  let refused = 0;
  const proxy: Proxy = {
    port: 0,
    maxConcurrent: 0,
    openNow: () => open,
    accepted: 0,
    commands: [],
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => {});
    if (hooks.limit !== undefined && open >= hooks.limit) {
      client.end('421 Too many connections from your IP.\r\n');
      refused += 1;
      (proxy as { refused?: number }).refused = refused;
      return;
    }
    const index = ++proxy.accepted;
    open += 1;
    proxy.maxConcurrent = Math.max(proxy.maxConcurrent, open);
    const upstream = createConnection(target, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    let closed = false;
    const onClose = () => {
      if (!closed) open -= 1;
      closed = true;
      client.destroy();
      upstream.destroy();
    };
    client.on('close', onClose);
    upstream.on('close', onClose);
    let fromClient = '';
    client.on('data', (chunk) => {
      fromClient += chunk.toString('latin1');
      for (let at = fromClient.indexOf('\n'); at !== -1; at = fromClient.indexOf('\n')) {
        const line = fromClient.slice(0, at).replace(/\r$/, '');
        fromClient = fromClient.slice(at + 1);
        proxy.commands.push([index, line]);
        upstream.write(`${hooks.command ? hooks.command(index, line) : line}\r\n`, 'latin1');
      }
    });
    let fromServer = '';
    let queue = Promise.resolve();
    upstream.on('data', (chunk) => {
      fromServer += chunk.toString('latin1');
      for (let at = fromServer.indexOf('\n'); at !== -1; at = fromServer.indexOf('\n')) {
        const line = fromServer.slice(0, at + 1);
        fromServer = fromServer.slice(at + 1);
        const held = hooks.hold?.(index, line);
        queue = queue.then(async () => {
          if (held) await held;
          if (!client.destroyed) client.write(line, 'latin1');
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  proxy.port = (server.address() as { port: number }).port;
  return proxy;
}

let server: FtpTestServer;
let directory: string;
let counter = 0;
const adapter = createFtpAdapter();

beforeAll(async () => {
  server = await startFtpServer();
  directory = await mkdtemp(join(tmpdir(), 'reget-ftp-segments-'));
});
afterAll(async () => {
  await server.close();
  await rm(directory, { recursive: true, force: true });
});

function urlVia(port: number, path: string): string {
  const url = new URL(server.url(path));
  url.port = String(port);
  return url.toString();
}

async function put(content: Uint8Array) {
  const name = `s${++counter}.bin`;
  await server.putFile(`/${name}`, content);
  server.setFaults({});
  server.resetCounters();
  return { path: `/${name}`, destination: join(directory, name) };
}

describe('segmented FTP against servers that misbehave on some connections', () => {
  it('catches an ignored REST on a connection whose range another one takes over, then on the one connection left (FTP-05)', async () => {
    const size = 2 * 1024 * 1024;
    const cut = 512 * 1024;
    const content = makeContent(size, 5);
    const { path, destination } = await put(content);
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The REST commands the proxy turned into `REST 0`, by connection: the fault has to fire on a
    // connection that asks for an offset, or nothing here is tested.
    const ignored: Array<[number, string]> = [];
    // Connections whose last command was REST: their RETR starts at an offset.
    const isAtOffset = new Set<number>();
    let slow: number | undefined;
    let isCutArmed = false;
    const proxy = await startProxy(server.port, {
      command: (index, line) => {
        const rest = /^REST (\d+)$/.exec(line);
        if (rest !== null && Number(rest[1]) > 0) {
          isAtOffset.add(index);
          // 1. The second segment's read gets the file from byte 0, and its 150 waits below. Named by
          //    its offset: the connection that steals from it may ask for its own offset first.
          if (slow === undefined && Number(rest[1]) === size / 2) {
            slow = index;
            ignored.push([index, line]);
            return 'REST 0';
          }
          // Another connection asks for an offset: it took over the far half of the slow range (it
          // usually does so before the slow read's own REST arrives, which then is not held at all).
          if (index !== slow) release();
          // 3. The single connection that resumes after the cut gets the file from byte 0 too. It
          //    reads to the end of the file with no head check: only counting bytes can catch it.
          if (isCutArmed && ignored.length === 1) {
            ignored.push([index, line]);
            return 'REST 0';
          }
          return line;
        }
        if (line.startsWith('RETR')) {
          // 2. The first read from byte 0 after the fault (the restart, now on one connection) is
          //    cut, so that the next attempt resumes it with REST.
          if (ignored.length === 1 && !isAtOffset.has(index) && !isCutArmed) {
            isCutArmed = true;
            server.setFaults({ dropAfterBytes: cut, dropTimes: 1 });
          }
          isAtOffset.delete(index);
        }
        return line;
      },
      // The slow connection's 150 waits until another connection took over part of its range, so
      // its read is cut short by core and never reaches the byte count at the end of the file.
      hold: (index, line) => (index === slow && line.startsWith('150') ? released : undefined),
    });
    const events: DownloadEvent[] = [];
    try {
      await download({
        url: urlVia(proxy.port, path),
        destination,
        adapters: [adapter],
        connections: 2,
        minSegmentBytes: 32 * 1024,
        // Without the verification overlap, the byte count is all that stands between the resumed
        // read of step 3 and a corrupt file (with it, the overlap would see the wrong bytes first).
        overlapBytes: 0,
        retryDelayMs: 1,
        onEvent: (event) => events.push(event),
      });
    } finally {
      await proxy.close();
    }
    const got = await readFile(destination);
    expect(sha256(got)).toBe(sha256(content));
    expect(ignored).toEqual([
      [slow, 'REST 1048576'],
      [expect.any(Number), `REST ${cut}`],
    ]);
    const onOneConnection = { type: 'segments', requested: 2, used: 1, reason: expect.any(String) };
    expect(events.filter((event) => event.type !== 'progress')).toMatchObject([
      { type: 'probe', total: size },
      { type: 'decision', action: 'fresh' },
      { type: 'segments', requested: 2, used: 2 },
      // 1. The head check caught the slow connection: start again on one connection.
      { type: 'restart', reason: 'ranges not supported' },
      { type: 'probe' },
      { type: 'decision', action: 'fresh' },
      onOneConnection,
      // 2. The cut (a 226 after too few bytes) keeps what arrived.
      { type: 'retry', error: { code: ErrorCode.PARTIAL }, bytesOnDisk: cut },
      { type: 'probe' },
      { type: 'decision', action: 'resume', offset: cut },
      onOneConnection,
      // 3. Counting the bytes caught the resumed read: start again, and this time nothing interferes.
      { type: 'restart', reason: 'ranges not supported' },
      { type: 'probe' },
      { type: 'decision', action: 'fresh' },
      onOneConnection,
      { type: 'complete', size, isAlreadyComplete: false },
    ]);
  });
});
