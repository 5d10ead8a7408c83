import { once } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { ErrorCode, isRegetError, type RegetError } from '@reget/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSftpAdapter } from './adapter.js';

const adapter = createSftpAdapter({ hostKey: `SHA256:${'A'.repeat(43)}` });

async function openFailure(port: number, signal = new AbortController().signal, connectTimeoutMs = 5_000) {
  try {
    await adapter.open(new URL(`sftp://user:secret@127.0.0.1:${port}/file.bin`), {
      signal,
      connectTimeoutMs,
    });
  } catch (error) {
    if (isRegetError(error)) return error as RegetError;
    throw error;
  }
  throw new Error('expected open to fail');
}

/** A TCP server on loopback that does `onSocket` with every connection instead of speaking SSH. */
async function rawServer(
  onSocket: (socket: Socket) => void,
): Promise<{ server: Server; port: number; accepted: Promise<unknown> }> {
  const server = createServer(onSocket);
  const accepted = once(server, 'connection');
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, accepted };
}

// FAULTS NET-02 (failure before any byte) and NET-03 (a silent server) at connect time.
describe('connecting', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('reports a refused connection as NETWORK, retryable, with details.connectFailure for core', async () => {
    const { server, port } = await rawServer(() => undefined);
    await new Promise((resolve) => server.close(resolve));
    const error = await openFailure(port);
    expect(error.code).toBe(ErrorCode.NETWORK);
    expect(error.retryable).toBe(true);
    expect(error.details.connectFailure).toBe('refused');
  });

  it('reports a server that closes before the handshake as NETWORK, retryable', async () => {
    const { server, port } = await rawServer((socket) => socket.destroy());
    servers.push(server);
    const error = await openFailure(port);
    expect(error.code).toBe(ErrorCode.NETWORK);
    expect(error.retryable).toBe(true);
  });

  it('times out a server that never speaks after connectTimeoutMs, as TIMEOUT', async () => {
    const { server, port } = await rawServer((socket) => sockets.push(socket));
    servers.push(server);
    const error = await openFailure(port, new AbortController().signal, 200);
    expect(error.code).toBe(ErrorCode.TIMEOUT);
    expect(error.retryable).toBe(true);
  });

  it('gives up connecting as soon as the signal aborts', async () => {
    const { server, port, accepted } = await rawServer((socket) => sockets.push(socket));
    servers.push(server);
    const controller = new AbortController();
    const failing = openFailure(port, controller.signal, 60_000);
    await accepted;
    controller.abort();
    expect((await failing).code).toBe(ErrorCode.ABORTED);
  });
});
