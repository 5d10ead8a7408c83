import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { download, ErrorCode, isRegetError } from '@reget/core';
import { failureOf, makeContent, type SftpServer, sha256, startSftpServer } from '@reget/testkit';
import SftpClient from 'ssh2-sftp-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSftpAdapter } from './adapter.js';

// ssh2-sftp-client prints unexpected events by default.
const quiet = { error: () => undefined, end: () => undefined, close: () => undefined };

/** A caller's ssh2-sftp-client Client, connected to the embedded server with its host key checked. */
async function connectedClient(server: SftpServer): Promise<SftpClient> {
  const client = new SftpClient('caller', quiet);
  await client.connect({
    host: server.host,
    port: server.port,
    username: server.username,
    password: server.password,
    hostHash: 'sha256',
    hostVerifier: (hash: string) =>
      `SHA256:${Buffer.from(hash, 'hex').toString('base64').replace(/=+$/, '')}` ===
      server.hostKey.fingerprint,
  });
  return client;
}

describe('a connected ssh2-sftp-client Client given as client', () => {
  const content = makeContent(3 * 1024 * 1024 + 11, 5);
  const path = '/data/lent.bin';
  // Never resolves (RFC 6761): reget has to read through the client, it cannot connect there itself.
  const url = `sftp://nobody@lent-client.invalid:2222${path}`;
  let server: SftpServer;
  let directory: string;
  let client: SftpClient;
  let logins = 0;
  let counter = 0;
  const destination = () => join(directory, `lent-${++counter}.bin`);

  beforeAll(async () => {
    server = await startSftpServer();
    await server.putFile(path, content);
    directory = await mkdtemp(join(tmpdir(), 'reget-sftp-client-'));
  });
  afterAll(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });
  beforeEach(async () => {
    server.setFaults({});
    server.resetCounters();
    client = await connectedClient(server);
    // The logins the client made ('none', then the password): the only ones the server may see.
    logins = server.loginAttempts().length;
    expect(logins).toBeGreaterThan(0);
  });
  afterEach(async () => {
    await client.end();
  });

  /** The client still works, on its own SFTP session, as if reget had never used it. */
  const expectStillUsable = async () => {
    expect((await client.stat(path)).size).toBe(content.length);
    expect(sha256((await client.get(path)) as Buffer)).toBe(sha256(content));
  };

  for (const connections of [1, 3]) {
    it(`downloads through it with ${connections} connection(s), logs in no more, and leaves it connected`, async () => {
      const target = destination();
      const adapter = createSftpAdapter({ client, readRequestBytes: 64 * 1024 });
      const result = await download({
        url,
        destination: target,
        adapters: [adapter],
        connections,
        minSegmentBytes: 256 * 1024,
      });
      expect(result.size).toBe(content.length);
      expect(sha256(await readFile(target))).toBe(sha256(content));
      expect(server.bytesSent()).toBeGreaterThanOrEqual(content.length);
      expect(server.loginAttempts()).toHaveLength(logins);
      await expectStillUsable();
    });
  }

  it('leaves it connected after a failed download and an aborted one', async () => {
    const adapter = createSftpAdapter({ client });
    const missing = await failureOf(
      download({
        url: 'sftp://lent-client.invalid/data/none.bin',
        destination: destination(),
        adapters: [adapter],
      }),
    );
    expect(missing.code).toBe(ErrorCode.NOT_FOUND);
    await expectStillUsable();

    server.setFaults({ stallAfterBytes: 512 * 1024 });
    const controller = new AbortController();
    const stalled = once(server.events, 'stall');
    const aborted = failureOf(
      download({
        url,
        destination: destination(),
        adapters: [adapter],
        connections: 3,
        signal: controller.signal,
      }),
    );
    await stalled;
    controller.abort();
    expect((await aborted).code).toBe(ErrorCode.ABORTED);
    server.setFaults({});
    await expectStillUsable();
    expect(server.loginAttempts()).toHaveLength(logins);
  });

  it('refuses a client that is not connected, or no longer, with BAD_INPUT', async () => {
    const open = (adapter: ReturnType<typeof createSftpAdapter>) =>
      adapter.open(new URL(url), { signal: new AbortController().signal, connectTimeoutMs: 5_000 });
    const never = new SftpClient('never', quiet);
    expect((await failureOf(open(createSftpAdapter({ client: never })))).code).toBe(ErrorCode.BAD_INPUT);
    const ended = await connectedClient(server);
    await ended.end();
    expect((await failureOf(open(createSftpAdapter({ client: ended })))).code).toBe(ErrorCode.BAD_INPUT);
  });

  it('refuses, when the adapter is created, a client that is none, or one given with connect options', () => {
    const codeOf = (create: () => unknown) => {
      try {
        create();
      } catch (error) {
        if (isRegetError(error)) return error.code;
        throw error;
      }
      return 'created';
    };
    const notAClient = {} as unknown as SftpClient;
    expect(codeOf(() => createSftpAdapter({ client: notAClient }))).toBe(ErrorCode.BAD_INPUT);
    // A pinned key next to a connection that already exists would protect nothing.
    expect(codeOf(() => createSftpAdapter({ client, hostKey: server.hostKey.fingerprint }))).toBe(
      ErrorCode.BAD_INPUT,
    );
    expect(codeOf(() => createSftpAdapter({ client, password: 'x' }))).toBe(ErrorCode.BAD_INPUT);
    expect(codeOf(() => createSftpAdapter({ client, readAheadBytes: 1024 * 1024 }))).toBe('created');
  });
});

describe('the connection reget opens itself', () => {
  let server: SftpServer;
  beforeAll(async () => {
    server = await startSftpServer();
    await server.putFile('/file.bin', makeContent(1000, 1));
  });
  afterAll(async () => {
    await server.close();
  });

  it("is ssh2-sftp-client's Client: its connect() tells the debug hook, and the login is one attempt", async () => {
    const messages: string[] = [];
    const adapter = createSftpAdapter({
      hostKey: server.hostKey.fingerprint,
      debug: (message) => messages.push(message),
    });
    server.resetCounters();
    const remote = await adapter.open(new URL(server.url('/file.bin')), {
      signal: new AbortController().signal,
      connectTimeoutMs: 5_000,
    });
    try {
      expect((await remote.stat(new AbortController().signal)).size).toBe(1000);
    } finally {
      await remote.close();
    }
    // Only ssh2-sftp-client's Client writes "CLIENT[<name>]: …"; ssh2 writes its own lines.
    expect(messages.filter((message) => message.startsWith('CLIENT[reget]: connect:'))).not.toHaveLength(0);
    expect(server.loginAttempts().map((attempt) => attempt.method)).toEqual(['password']);
    expect(messages.join('\n')).not.toContain(server.password);
  });

  it('passes its connect options through: algorithms ssh2 does not know are BAD_INPUT, before any login', async () => {
    const adapter = createSftpAdapter({
      hostKey: server.hostKey.fingerprint,
      algorithms: { cipher: ['no-such-cipher' as 'aes128-ctr'] },
    });
    server.resetCounters();
    const error = await failureOf(
      adapter.open(new URL(server.url('/file.bin')), {
        signal: new AbortController().signal,
        connectTimeoutMs: 5_000,
      }),
    );
    expect(error.code).toBe(ErrorCode.BAD_INPUT);
    expect(server.loginAttempts()).toEqual([]);
  });
});
