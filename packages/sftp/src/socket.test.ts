import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { makeContent } from '@reget/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { connectSocket } from './socket.js';

describe('connectSocket', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('delivers every byte in order across slabs, and never rewrites a chunk it delivered', async () => {
    const content = Buffer.from(makeContent(3 * 1024 * 1024 + 5, 7));
    const server = createServer((peer) => {
      // Writes of many sizes, so that reads end anywhere in a slab.
      let offset = 0;
      for (let step = 1; offset < content.length; step++) {
        const length = Math.min(((step * 7919) % 200_000) + 1, content.length - offset);
        peer.write(content.subarray(offset, offset + length));
        offset += length;
      }
      peer.end();
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');

    const socket = connectSocket('127.0.0.1', (server.address() as AddressInfo).port);
    const chunks: Buffer[] = [];
    const copies: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      copies.push(Buffer.from(chunk));
    });
    await once(socket, 'end');
    socket.destroy();

    expect(Buffer.concat(chunks).equals(content)).toBe(true);
    // A later read landing on an earlier chunk's bytes would show here.
    expect(chunks.every((chunk, index) => chunk.equals(copies[index] as Buffer))).toBe(true);
    expect(chunks.every((chunk) => Buffer.isBuffer(chunk))).toBe(true);
    // The content is larger than a slab: reads went on in fresh ones.
    expect(new Set(chunks.map((chunk) => chunk.buffer)).size).toBeGreaterThan(1);
  });

  it('reports a refused connection as an error event', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));

    const socket = connectSocket('127.0.0.1', port);
    const [error] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });
});
