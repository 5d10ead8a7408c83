import { createServer } from 'node:http';
import { expect, it } from 'vitest';
import { createHttpAdapter } from './adapter.js';

// A read core stopped waiting for (its signal aborted as the head arrived) is dropped unread.
it('closes the connection when the signal aborts after the head, body unread', async () => {
  let closed!: () => void;
  const isClosed = new Promise<void>((resolve) => {
    closed = resolve;
  });
  const server = createServer((request, response) => {
    request.socket.on('close', () => closed());
    response.writeHead(200, { 'content-length': '1000' });
    response.write('x');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  const ac = new AbortController();
  const remote = await createHttpAdapter().open(new URL(`http://127.0.0.1:${port}/f`), {
    signal: ac.signal,
    connectTimeoutMs: 5000,
  });
  await remote.read({ start: 0, signal: ac.signal });
  ac.abort();
  // Without the abort reaching the response, the socket stays open until remote.close() (timeout).
  await expect(isClosed).resolves.toBeUndefined();
  await remote.close();
  server.close();
}, 3000);
