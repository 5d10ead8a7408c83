import { PassThrough } from 'node:stream';
import { Client } from 'basic-ftp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeContent } from '../content.js';
import { type FtpServerSecurity, type FtpTestServer, startFtpServer } from './server.js';

// The embedded server checked with basic-ftp's own high-level API, not with reget's adapter.
const content = makeContent(70_000, 5);

async function download(client: Client, path: string, startAt = 0): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  await client.downloadTo(sink, path, startAt);
  return Buffer.concat(chunks);
}

for (const security of ['none', 'explicit', 'implicit'] satisfies FtpServerSecurity[]) {
  describe(`embedded FTP server (${security})`, () => {
    let server: FtpTestServer;
    let client: Client;

    beforeAll(async () => {
      server = await startFtpServer({ security, user: 'carol', password: 'pw' });
      await server.putFile('/dir/file.bin', content);
      client = new Client(5_000);
      await client.access({
        host: '127.0.0.1',
        port: server.port,
        user: 'carol',
        password: 'pw',
        secure: security === 'none' ? false : security === 'explicit' ? true : 'implicit',
        secureOptions: { ca: server.certificate?.cert },
      });
    });
    afterAll(async () => {
      client.close();
      await server.close();
    });

    it('answers SIZE and MDTM in binary mode', async () => {
      expect(await client.size('dir/file.bin')).toBe(content.length);
      const modified = await client.lastMod('/dir/file.bin');
      // The store dates files a day back (see FtpFileStore.put).
      expect(Math.abs(modified.getTime() - (Date.now() - 86_400_000))).toBeLessThan(60_000);
    });

    it('serves a whole file and a REST offset', async () => {
      expect(Buffer.compare(await download(client, 'dir/file.bin'), content)).toBe(0);
      expect(Buffer.compare(await download(client, 'dir/file.bin', 12_345), content.subarray(12_345))).toBe(
        0,
      );
      expect(server.bytesSent()).toBe(content.length * 2 - 12_345);
    });

    it('refuses REST with 502 when asked to', async () => {
      server.setFaults({ refuseRange: true });
      await expect(download(client, 'dir/file.bin', 10)).rejects.toMatchObject({ code: 502 });
      server.setFaults({});
    });

    it('answers 550 for a missing file', async () => {
      await expect(client.size('nope.bin')).rejects.toMatchObject({ code: 550 });
    });
  });
}
