import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, isRegetError, type RegetError } from '@reget/core';
import { type SftpServer, type SshAgent, startSftpServer, startSshAgent } from '@reget/testkit';
import ssh2 from 'ssh2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSftpAdapter } from './adapter.js';
import type { SftpAdapterOptions } from './options.js';

const clientKey = ssh2.utils.generateKeyPairSync('ed25519');
const encryptedKey = ssh2.utils.generateKeyPairSync('ed25519', {
  passphrase: 'correct horse',
  cipher: 'aes256-ctr',
  rounds: 2,
});
const strangerKey = ssh2.utils.generateKeyPairSync('ed25519');

// FAULTS SFTP-02: password, key file and agent logins; a refused login is AUTH, tried once.
describe('authentication', () => {
  let server: SftpServer;
  let directory: string;
  let agent: SshAgent | undefined;
  const keyFile = (name: string) => join(directory, name);

  beforeAll(async () => {
    server = await startSftpServer({ authorizedKeys: [clientKey.public, encryptedKey.public] });
    await server.putFile('/file.bin', Buffer.from('0123456789'));
    directory = await mkdtemp(join(tmpdir(), 'reget-sftp-auth-'));
    await writeFile(keyFile('id_plain'), clientKey.private, { mode: 0o600 });
    await writeFile(keyFile('id_encrypted'), encryptedKey.private, { mode: 0o600 });
    await writeFile(keyFile('id_stranger'), strangerKey.private, { mode: 0o600 });
  });
  afterAll(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });
  beforeEach(() => server.resetCounters());
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
  });

  /** The file's URL with only a user name: credentials come from the options. */
  const userUrl = (user = server.username) => `sftp://${user}@${server.host}:${server.port}/file.bin`;
  const size = async (url: string, options: SftpAdapterOptions = {}) => {
    const adapter = createSftpAdapter({ hostKey: server.hostKey.fingerprint, ...options });
    const remote = await adapter.open(new URL(url), {
      signal: new AbortController().signal,
      connectTimeoutMs: 5_000,
    });
    try {
      return (await remote.stat(new AbortController().signal)).size;
    } finally {
      await remote.close();
    }
  };
  const failure = async (url: string, options: SftpAdapterOptions = {}): Promise<RegetError> => {
    try {
      await size(url, options);
    } catch (error) {
      if (isRegetError(error)) return error;
      throw error;
    }
    throw new Error('expected the login to fail');
  };
  const methods = () => server.loginAttempts().map((attempt) => attempt.method);

  it('logs in with the password from the URL, percent-decoded', async () => {
    expect(server.url('/file.bin')).toContain('%40');
    expect(await size(server.url('/file.bin'))).toBe(10);
    expect(methods()).toEqual(['password']);
  });

  it('logs in with the password option when the URL has none', async () => {
    expect(await size(userUrl(), { password: server.password })).toBe(10);
  });

  it('fails a wrong password with AUTH, not retryable, after exactly one attempt', async () => {
    const error = await failure(server.unauthorizedUrl('/file.bin'));
    expect(error.code).toBe(ErrorCode.AUTH);
    expect(error.retryable).toBe(false);
    expect(methods()).toEqual(['password']);
  });

  it('says no login method was available when there is no password, key or agent', async () => {
    const previous = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
    try {
      const error = await failure(userUrl());
      expect(error.code).toBe(ErrorCode.AUTH);
      expect(error.message).toMatch(/no login method was available/);
      expect(error.message).not.toMatch(/no method configured/);
    } finally {
      if (previous !== undefined) process.env.SSH_AUTH_SOCK = previous;
    }
  });

  it('fails an unknown user with AUTH', async () => {
    expect((await failure(userUrl('nobody'), { password: server.password })).code).toBe(ErrorCode.AUTH);
  });

  it('logs in with a private key file', async () => {
    expect(await size(userUrl(), { identity: keyFile('id_plain') })).toBe(10);
    expect(methods()).toContain('publickey');
  });

  it('logs in with the key itself given as privateKey, and refuses it next to identity as BAD_INPUT', async () => {
    expect(await size(userUrl(), { privateKey: clientKey.private })).toBe(10);
    expect(methods()).toEqual(['publickey', 'publickey']);
    const both = () => createSftpAdapter({ identity: keyFile('id_plain'), privateKey: clientKey.private });
    expect(both).toThrow(expect.objectContaining({ code: ErrorCode.BAD_INPUT }));
  });

  it('logs in with an encrypted private key and its passphrase', async () => {
    expect(await size(userUrl(), { identity: keyFile('id_encrypted'), passphrase: 'correct horse' })).toBe(
      10,
    );
  });

  it('fails a wrong passphrase, a missing key file and an unauthorised key with AUTH', async () => {
    const wrongPassphrase = await failure(userUrl(), {
      identity: keyFile('id_encrypted'),
      passphrase: 'wrong',
    });
    expect(wrongPassphrase.code).toBe(ErrorCode.AUTH);
    const missing = await failure(userUrl(), { identity: keyFile('id_missing') });
    expect(missing.code).toBe(ErrorCode.AUTH);
    // Neither reached the server: the key is read and decrypted before connecting.
    expect(server.loginAttempts()).toEqual([]);
    const stranger = await failure(userUrl(), { identity: keyFile('id_stranger') });
    expect(stranger.code).toBe(ErrorCode.AUTH);
    expect(stranger.retryable).toBe(false);
  });

  it('logs in through an SSH agent given as an option', async () => {
    agent = await startSshAgent([clientKey.private]);
    expect(await size(userUrl(), { agent: agent.socketPath })).toBe(10);
    expect(agent.signatures()).toBe(1);
  });

  it('uses SSH_AUTH_SOCK when neither a password nor a key is given', async () => {
    agent = await startSshAgent([clientKey.private]);
    const previous = process.env.SSH_AUTH_SOCK;
    process.env.SSH_AUTH_SOCK = agent.socketPath;
    try {
      expect(await size(userUrl())).toBe(10);
    } finally {
      if (previous === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = previous;
    }
    expect(agent.signatures()).toBe(1);
  });

  it('fails with AUTH when the agent holds no usable key or cannot be reached', async () => {
    agent = await startSshAgent([strangerKey.private]);
    expect((await failure(userUrl(), { agent: agent.socketPath })).code).toBe(ErrorCode.AUTH);
    expect((await failure(userUrl(), { agent: join(directory, 'no-agent.sock') })).code).toBe(ErrorCode.AUTH);
  });
});
