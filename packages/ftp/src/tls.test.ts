import { ErrorCode, type ReadResponse } from '@reget/core';
import {
  type FtpServerSecurity,
  type FtpTestServer,
  failureOf,
  generateTestCertificate,
  makeContent,
  startFtpServer,
} from '@reget/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFtpAdapter } from './adapter.js';

const size = 200_000;
const content = makeContent(size, 31);
const signal = new AbortController().signal;
const context = { signal, connectTimeoutMs: 5_000 };

async function bytesOf(response: ReadResponse): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of response.body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

for (const security of ['explicit', 'implicit'] satisfies FtpServerSecurity[]) {
  describe(`FTPS ${security} (SEC-05, FTP-09)`, () => {
    let server: FtpTestServer;

    beforeAll(async () => {
      server = await startFtpServer({ security, user: 'bob', password: 'tls-secret' });
      await server.putFile('/file.bin', content);
    });
    afterAll(async () => {
      await server.close();
    });

    it('downloads and resumes over TLS, trusting the self-signed certificate through `ca`', async () => {
      const remote = await createFtpAdapter({ ca: server.certificate!.cert }).open(
        new URL(server.url('/file.bin')),
        context,
      );
      expect(Buffer.compare(await bytesOf(await remote.read({ start: 0, signal })), content)).toBe(0);
      const tail = await bytesOf(await remote.read({ start: 150_000, signal }));
      expect(Buffer.compare(tail, content.subarray(150_000))).toBe(0);
      await remote.close();
      expect(server.commands()).toContain('PROT P');
    });

    it('resumes the TLS session on every data connection, for servers that demand it', async () => {
      server.setFaults({ requireSessionReuse: true });
      const before = server.tlsDataConnections();
      const remote = await createFtpAdapter({ ca: server.certificate!.cert }).open(
        new URL(server.url('/file.bin')),
        context,
      );
      for (const start of [0, 1000, 2000]) {
        const bytes = await bytesOf(await remote.read({ start, signal }));
        expect(Buffer.compare(bytes, content.subarray(start))).toBe(0);
      }
      await remote.close();
      server.setFaults({});
      const after = server.tlsDataConnections();
      expect(after.total - before.total).toBe(3);
      expect(after.resumed - before.resumed).toBe(3);
    });

    it('verifies the host name, here `localhost`', async () => {
      const url = server.url('/file.bin').replace('127.0.0.1', 'localhost');
      const remote = await createFtpAdapter({ ca: server.certificate!.cert }).open(new URL(url), context);
      expect((await remote.stat(signal)).size).toBe(size);
      await remote.close();
    });

    it('refuses the certificate without `ca`, with TLS and before sending the password', async () => {
      server.resetCounters();
      const error = await failureOf(createFtpAdapter().open(new URL(server.url('/file.bin')), context));
      expect(error.code).toBe(ErrorCode.TLS);
      expect(error.retryable).toBe(false);
      expect(server.commands().some((command) => command.startsWith('PASS'))).toBe(false);
    });

    it('refuses a certificate signed by another CA', async () => {
      const other = await generateTestCertificate();
      const error = await failureOf(
        createFtpAdapter({ ca: other.cert }).open(new URL(server.url('/file.bin')), context),
      );
      expect(error.code).toBe(ErrorCode.TLS);
    });

    it('verifies the certificate of the data connection too', async () => {
      server.setFaults({ dataCertificate: await generateTestCertificate() });
      const remote = await createFtpAdapter({ ca: server.certificate!.cert }).open(
        new URL(server.url('/file.bin')),
        context,
      );
      const error = await failureOf(remote.read({ start: 0, signal }).then(bytesOf));
      await remote.close();
      server.setFaults({});
      expect(error.code).toBe(ErrorCode.TLS);
    });

    it('accepts any certificate only when `insecure` is set', async () => {
      const remote = await createFtpAdapter({ insecure: true }).open(
        new URL(server.url('/file.bin')),
        context,
      );
      expect((await remote.stat(signal)).size).toBe(size);
      await remote.close();
    });
  });
}

describe('explicit TLS without fallback (FTP-09)', () => {
  let server: FtpTestServer;

  beforeAll(async () => {
    server = await startFtpServer({ security: 'explicit', user: 'bob', password: 'tls-secret' });
    await server.putFile('/file.bin', content);
  });
  afterAll(async () => {
    await server.close();
  });

  it('fails TLS when AUTH TLS is refused, and never logs in in clear text', async () => {
    server.setFaults({ refuseAuthTls: true });
    server.resetCounters();
    const error = await failureOf(
      createFtpAdapter({ ca: server.certificate!.cert }).open(new URL(server.url('/file.bin')), context),
    );
    server.setFaults({});
    expect(error.code).toBe(ErrorCode.TLS);
    expect(server.commands()).toEqual(['AUTH TLS']);
  });

  it('discards clear-text replies pipelined after 234, before the handshake', async () => {
    server.setFaults({ pipelineAfterAuth: '200 OK\r\n530 Login incorrect.\r\n213 5' });
    const remote = await createFtpAdapter({ ca: server.certificate!.cert }).open(
      new URL(server.url('/file.bin')),
      context,
    );
    server.setFaults({});
    expect((await remote.stat(signal)).size).toBe(size);
    await remote.close();
  });

  it('ftps:// against an explicit-TLS server: PROTOCOL, not retryable, suggesting ftpes://', async () => {
    const url = server.url('/file.bin').replace(/^ftpes:/, 'ftps:');
    const error = await failureOf(
      createFtpAdapter({ ca: server.certificate!.cert }).open(new URL(url), context),
    );
    expect(error.code).toBe(ErrorCode.PROTOCOL);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('ftpes://');
  });

  it('upgrades ftp:// with `requireTls`', async () => {
    const url = server.url('/file.bin').replace(/^ftpes:/, 'ftp:');
    const remote = await createFtpAdapter({ ca: server.certificate!.cert, requireTls: true }).open(
      new URL(url),
      context,
    );
    expect((await remote.stat(signal)).size).toBe(size);
    await remote.close();
  });
});

describe('the wrong TLS scheme', () => {
  it('ftpes:// against an implicit-TLS server times out with a hint to use ftps://', async () => {
    const server = await startFtpServer({ security: 'implicit' });
    try {
      const url = server.url('/file.bin').replace(/^ftps:/, 'ftpes:');
      const error = await failureOf(createFtpAdapter().open(new URL(url), { signal, connectTimeoutMs: 300 }));
      expect(error.code).toBe(ErrorCode.TIMEOUT);
      expect(error.message).toContain('ftps://');
      expect(error.message).toContain('0.3 s');
    } finally {
      await server.close();
    }
  });
});

describe('passive mode (FTP-09)', () => {
  let server: FtpTestServer;

  beforeAll(async () => {
    server = await startFtpServer();
    await server.putFile('/file.bin', content);
  });
  afterAll(async () => {
    await server.close();
  });

  it('ignores the address in a PASV reply and connects to the control host', async () => {
    server.setFaults({ noEpsv: true, pasvHost: '10.255.255.1' });
    server.resetCounters();
    const remote = await createFtpAdapter().open(new URL(server.url('/file.bin')), context);
    const bytes = await bytesOf(await remote.read({ start: 100, signal }));
    await remote.close();
    server.setFaults({});
    expect(Buffer.compare(bytes, content.subarray(100))).toBe(0);
    expect(server.commands()).toContain('PASV');
  });
});
