import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DownloadEvent, download } from '@reget/core';
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
  it('catches an ignored REST on a connection whose range another one takes over (FTP-05)', async () => {
    const size = 2 * 1024 * 1024;
    const content = makeContent(size, 5);
    const { path, destination } = await put(content);
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let isHeld = false;
    const proxy = await startProxy(server.port, {
      // Connection 2 (the second segment's) ignores REST: it sends from byte 0.
      command: (index, line) => {
        if (index >= 3 && line.startsWith('REST')) release();
        return index === 2 && line.startsWith('REST') ? 'REST 0' : line;
      },
      // ...and is slow to start (its 150 waits until another connection steals its far half).
      hold: (index, line) => {
        if (index !== 2 || isHeld || !line.startsWith('150')) return undefined;
        isHeld = true;
        return released;
      },
    });
    const events: DownloadEvent[] = [];
    try {
      await download({
        url: urlVia(proxy.port, path),
        destination,
        adapters: [adapter],
        connections: 2,
        minSegmentBytes: 32 * 1024,
        retryDelayMs: 1,
        idleTimeoutMs: 1_000,
        onEvent: (event) => events.push(event),
      });
    } finally {
      await proxy.close();
    }
    const got = await readFile(destination);
    expect(sha256(got)).toBe(sha256(content));
  });
});
