import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { download } from '@reget/core';
import { createSftpAdapter } from '@reget/sftp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, interopOptions, runInteropScenarios } from './adapter-scenarios.js';
import { interopEnvironment, ServedFile, servedPath } from './environment.js';
import { sha256File, sizeOf, temporaryDirectory } from './files.js';

const environment = interopEnvironment();
const sftpUrl = (name: string) => `${environment.sftpUrl}${servedPath(name)}`;

runInteropScenarios({
  name: 'sftp',
  adapter: () => createSftpAdapter({ identity: environment.sshKey, hostKey: environment.sshHostKey }),
  url: sftpUrl,
});

describe('sftp: keys and host keys against OpenSSH sshd', () => {
  let directory: { path: string; remove: () => Promise<void> };

  beforeAll(async () => {
    directory = await temporaryDirectory('sftp-keys');
  });
  afterAll(async () => {
    await directory?.remove();
  });

  it('verifies the host key against a known_hosts file', async () => {
    const destination = join(directory.path, 'known-hosts.bin');
    const adapter = createSftpAdapter({ identity: environment.sshKey, knownHosts: environment.knownHosts });
    await download(interopOptions(adapter, sftpUrl(ServedFile.sample), destination));
    expect(await sha256File(destination)).toBe(await sha256File(servedPath(ServedFile.sample)));
  });

  it('fails with AUTH for a key sshd does not authorize, and keeps nothing', async () => {
    const destination = join(directory.path, 'wrong-key.bin');
    const adapter = createSftpAdapter({ identity: environment.sshOtherKey, hostKey: environment.sshHostKey });
    const error = await failure(download(interopOptions(adapter, sftpUrl(ServedFile.sample), destination)));
    expect(error.code).toBe('AUTH');
    expect(await sizeOf(`${destination}.part`)).toBeUndefined();
  });

  it('refuses a host key that is not the pinned one, naming the presented fingerprint', async () => {
    const destination = join(directory.path, 'wrong-host-key.bin');
    const adapter = createSftpAdapter({ identity: environment.sshKey, hostKey: environment.sshOtherHostKey });
    const error = await failure(download(interopOptions(adapter, sftpUrl(ServedFile.sample), destination)));
    expect(error.code).toBe('HOST_KEY');
    expect(error.message).toContain(environment.sshHostKey);
    expect(await sizeOf(`${destination}.part`)).toBeUndefined();
  });

  it('refuses a host that known_hosts does not list', async () => {
    const destination = join(directory.path, 'unknown-host.bin');
    const knownHosts = join(directory.path, 'empty_known_hosts');
    await writeFile(knownHosts, '');
    const adapter = createSftpAdapter({ identity: environment.sshKey, knownHosts });
    const error = await failure(download(interopOptions(adapter, sftpUrl(ServedFile.sample), destination)));
    expect(error.code).toBe('HOST_KEY');
  });
});
