import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startFtpServer } from './ftp/server.js';
import { startHttpServer } from './http/server.js';
import { startSftpServer } from './sftp/server.js';

/** A port nothing listens on right now: the kernel's pick for an ephemeral listener, released. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const servers = {
  HTTP: startHttpServer,
  FTP: startFtpServer,
  SFTP: startSftpServer,
} satisfies Record<
  string,
  (options: { port: number }) => Promise<{ url(path: string): string; close(): Promise<void> }>
>;

describe.each(Object.entries(servers))('embedded %s server: port option', (_, start) => {
  it('listens on the given port, and rejects (not crashes) when it is taken', async () => {
    const port = await freePort();
    const server = await start({ port });
    try {
      expect(new URL(server.url('/x')).port).toBe(String(port));
      await expect(start({ port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await server.close();
    }
  });
});
