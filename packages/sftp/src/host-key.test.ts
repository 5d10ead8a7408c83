import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, isRegetError, type Remote } from '@reget/core';
import { createHostKey, type SftpServer, startSftpServer } from '@reget/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSftpAdapter } from './adapter.js';
import { type HostKeyAdded, HostKeyRefusal } from './host-key.js';
import type { SftpAdapterOptions } from './options.js';

// FAULTS SFTP-01: the host key is checked before any credential is sent, and ssh2's default of
// accepting any key never applies.
describe('host key verification', () => {
  let server: SftpServer;
  let directory: string;
  let knownHosts: string;
  const otherKey = createHostKey('ed25519');

  beforeAll(async () => {
    server = await startSftpServer();
    await server.putFile('/file.bin', Buffer.from('hello'));
    directory = await mkdtemp(join(tmpdir(), 'reget-sftp-hostkey-'));
  });
  afterAll(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });
  beforeEach(async (context) => {
    knownHosts = join(directory, `${context.task.id}.known_hosts`);
    server.resetCounters();
  });

  const open = async (options: SftpAdapterOptions): Promise<Remote> =>
    createSftpAdapter(options).open(new URL(server.url('/file.bin')), {
      signal: new AbortController().signal,
      connectTimeoutMs: 5_000,
    });
  const openAndClose = async (options: SftpAdapterOptions) => {
    const remote = await open(options);
    const stat = await remote.stat(new AbortController().signal);
    await remote.close();
    return stat;
  };
  const refusal = async (options: SftpAdapterOptions) => {
    try {
      await openAndClose(options);
    } catch (error) {
      if (!isRegetError(error)) throw error;
      return error;
    }
    throw new Error('expected the connection to be refused');
  };
  const expectRefusedBeforeLogin = async (options: SftpAdapterOptions) => {
    const error = await refusal(options);
    expect(error.code).toBe(ErrorCode.HOST_KEY);
    expect(error.retryable).toBe(false);
    expect(server.loginAttempts()).toEqual([]);
  };

  it('accepts the pinned fingerprint', async () => {
    expect((await openAndClose({ hostKey: server.hostKey.fingerprint })).size).toBe(5);
  });

  it('accepts a pinned fingerprint written with base64 padding', async () => {
    expect((await openAndClose({ hostKey: `${server.hostKey.fingerprint}=` })).size).toBe(5);
  });

  it('refuses a key that is not the pinned one, before any login attempt', async () => {
    await expectRefusedBeforeLogin({ hostKey: otherKey.fingerprint });
  });

  it('refuses a malformed pin as BAD_INPUT when the adapter is created', () => {
    expect(() => createSftpAdapter({ hostKey: 'MD5:00:11' })).toThrow(
      expect.objectContaining({ code: ErrorCode.BAD_INPUT }),
    );
  });

  it('keeps the refusal of a pin with a line break on one line (found by a property test: "\\r")', () => {
    for (const hostKey of ['\r', 'SHA256:abc\ndef']) {
      let message = '';
      try {
        createSftpAdapter({ hostKey });
      } catch (error) {
        expect(isRegetError(error, ErrorCode.BAD_INPUT)).toBe(true);
        message = (error as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toMatch(/[\r\n]/);
    }
  });

  it('accepts a host listed in known_hosts under [host]:port', async () => {
    await writeFile(knownHosts, `${server.hostKey.knownHostsLine(server.host, server.port)}\n`);
    expect((await openAndClose({ knownHosts })).size).toBe(5);
  });

  it('accepts a hashed known_hosts entry', async () => {
    await writeFile(
      knownHosts,
      `${server.hostKey.knownHostsLine(server.host, server.port, { isHashed: true })}\n`,
    );
    expect((await openAndClose({ knownHosts })).size).toBe(5);
  });

  it('refuses an unknown host (no entry, or no known_hosts file) before any login attempt', async () => {
    await writeFile(knownHosts, `${server.hostKey.knownHostsLine('elsewhere.example', 22)}\n`);
    await expectRefusedBeforeLogin({ knownHosts });
    await expectRefusedBeforeLogin({ knownHosts: join(directory, 'missing', 'known_hosts') });
  });

  it('names the known_hosts file consulted, and gives the facts of the refusal in details and cause', async () => {
    await writeFile(knownHosts, '');
    const error = await refusal({ knownHosts });
    expect(error.message).toContain(knownHosts);
    expect(error.message).toContain(server.hostKey.fingerprint);
    const facts = {
      reason: 'unknown',
      host: `[${server.host}]:${server.port}`,
      fingerprint: server.hostKey.fingerprint,
      files: [knownHosts],
    };
    expect(error.details.hostKey).toEqual(facts);
    expect(error.cause).toBeInstanceOf(HostKeyRefusal);
    expect(error.cause).toMatchObject(facts);
    await writeFile(knownHosts, `${otherKey.knownHostsLine(server.host, server.port)}\n`);
    expect((await refusal({ knownHosts })).details.hostKey?.reason).toBe('changed');
    expect((await refusal({ hostKey: otherKey.fingerprint })).details.hostKey).toMatchObject({
      reason: 'not-pinned',
      files: [],
    });
  });

  it('refuses an entry for port 22 when the server listens elsewhere', async () => {
    await writeFile(knownHosts, `${server.hostKey.knownHostsLine(server.host, 22)}\n`);
    await expectRefusedBeforeLogin({ knownHosts });
  });

  it('refuses a changed key, and a key of another type than the one recorded', async () => {
    await writeFile(knownHosts, `${otherKey.knownHostsLine(server.host, server.port)}\n`);
    await expectRefusedBeforeLogin({ knownHosts });
    await writeFile(knownHosts, `${createHostKey('ecdsa').knownHostsLine(server.host, server.port)}\n`);
    await expectRefusedBeforeLogin({ knownHosts });
  });

  it('refuses a key marked @revoked even when it is also listed', async () => {
    const entry = server.hostKey.knownHostsLine(server.host, server.port);
    await writeFile(knownHosts, `${entry}\n@revoked ${entry}\n`);
    await expectRefusedBeforeLogin({ knownHosts });
  });

  it('refuses a host whose only line is corrupt', async () => {
    const entry = server.hostKey.knownHostsLine(server.host, server.port);
    await writeFile(knownHosts, `${entry.slice(0, -8)}!!!\n`);
    await expectRefusedBeforeLogin({ knownHosts });
  });

  it('trusts an unknown host on first use only when asked, records it, and still refuses a changed key', async () => {
    await writeFile(knownHosts, '');
    await openAndClose({ knownHosts, acceptUnknownHostKey: true });
    const recorded = await readFile(knownHosts, 'utf8');
    expect(recorded.trim()).toBe(server.hostKey.knownHostsLine(server.host, server.port));
    expect((await openAndClose({ knownHosts })).size).toBe(5);

    await writeFile(knownHosts, `${otherKey.knownHostsLine(server.host, server.port)}\n`);
    server.resetCounters();
    await expectRefusedBeforeLogin({ knownHosts, acceptUnknownHostKey: true });
  });

  it('on first use, creates a missing known_hosts folder (0700) and file (0600) and says what it added', async () => {
    const sshDirectory = join(directory, `fresh-home-${Date.now()}`, '.ssh');
    const file = join(sshDirectory, 'known_hosts');
    const added: HostKeyAdded[] = [];
    await openAndClose({
      knownHosts: file,
      acceptUnknownHostKey: true,
      onHostKeyAdded: (key) => added.push(key),
    });
    expect((await stat(sshDirectory)).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(
      server.hostKey.knownHostsLine(server.host, server.port),
    );
    expect(added).toEqual([
      {
        host: `[${server.host}]:${server.port}`,
        keyType: 'ssh-ed25519',
        fingerprint: server.hostKey.fingerprint,
        file,
      },
    ]);
    // Known now: a second connection adds nothing.
    await openAndClose({
      knownHosts: file,
      acceptUnknownHostKey: true,
      onHostKeyAdded: (key) => added.push(key),
    });
    expect(added).toHaveLength(1);
  });
});

describe('host key type negotiation', () => {
  it('asks a server with several host keys for the type known_hosts records', async () => {
    const rsa = createHostKey('rsa');
    const server = await startSftpServer({ hostKeyType: 'ed25519', extraHostPrivateKeys: [rsa.privateKey] });
    const directory = await mkdtemp(join(tmpdir(), 'reget-sftp-hostkey-'));
    try {
      await server.putFile('/file.bin', Buffer.from('hi'));
      const knownHosts = join(directory, 'known_hosts');
      await writeFile(knownHosts, `${rsa.knownHostsLine(server.host, server.port)}\n`);
      const remote = await createSftpAdapter({ knownHosts }).open(new URL(server.url('/file.bin')), {
        signal: new AbortController().signal,
        connectTimeoutMs: 5_000,
      });
      expect((await remote.stat(new AbortController().signal)).size).toBe(2);
      await remote.close();
    } finally {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
