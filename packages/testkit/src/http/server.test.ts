import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startHttpServer } from './server.js';

/** A port nothing listens on right now: the kernel's pick for an ephemeral listener, released. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('embedded HTTP server: port option', () => {
  it('listens on the given port, and rejects (not crashes) when it is taken', async () => {
    const port = await freePort();
    const server = await startHttpServer({ port });
    try {
      expect(new URL(server.url('/x')).port).toBe(String(port));
      await expect(startHttpServer({ port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await server.close();
    }
  });
});
