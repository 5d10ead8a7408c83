import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { download } from '@reget/core';
import { createHttpAdapter } from '@reget/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, interopOptions, runInteropScenarios } from './adapter-scenarios.js';
import { interopEnvironment, ServedFile, servedPath } from './environment.js';
import { sha256File, sizeOf, temporaryDirectory } from './files.js';

const environment = interopEnvironment();
const ca = readFileSync(environment.ca);

runInteropScenarios({
  name: 'http',
  adapter: () => createHttpAdapter(),
  url: (name) => `${environment.httpUrl}/${name}`,
});

runInteropScenarios({
  name: 'https',
  adapter: () => createHttpAdapter({ ca }),
  url: (name) => `${environment.httpsUrl}/${name}`,
});

describe('http: credentials and certificates against nginx', () => {
  let directory: { path: string; remove: () => Promise<void> };
  const privateUrl = (user: string, password: string) => {
    const url = new URL(`${environment.httpsUrl}/private/${ServedFile.sample}`);
    url.username = user;
    url.password = password;
    return url.href;
  };

  beforeAll(async () => {
    directory = await temporaryDirectory('http-auth');
  });
  afterAll(async () => {
    await directory?.remove();
  });

  it('logs in with basic authentication from the URL', async () => {
    const destination = join(directory.path, 'private.bin');
    const url = privateUrl(environment.httpUser, environment.httpPassword);
    await download(interopOptions(createHttpAdapter({ ca }), url, destination));
    expect(await sha256File(destination)).toBe(await sha256File(servedPath(ServedFile.sample)));
  });

  it('fails with AUTH on a wrong password, and keeps nothing', async () => {
    const destination = join(directory.path, 'wrong-password.bin');
    const url = privateUrl(environment.httpUser, 'not-the-password');
    const error = await failure(download(interopOptions(createHttpAdapter({ ca }), url, destination)));
    expect(error.code).toBe('AUTH');
    expect(error.message).not.toContain('not-the-password');
    expect(await sizeOf(`${destination}.part`)).toBeUndefined();
  });

  it('fails with TLS when the self-signed certificate is not trusted', async () => {
    const destination = join(directory.path, 'untrusted.bin');
    const url = `${environment.httpsUrl}/${ServedFile.sample}`;
    const error = await failure(download(interopOptions(createHttpAdapter(), url, destination)));
    expect(error.code).toBe('TLS');
  });

  it('fails with TLS when the CA given is not the one that signed the certificate', async () => {
    const destination = join(directory.path, 'other-ca.bin');
    const url = `${environment.httpsUrl}/${ServedFile.sample}`;
    const adapter = createHttpAdapter({ ca: readFileSync(environment.otherCa) });
    const error = await failure(download(interopOptions(adapter, url, destination)));
    expect(error.code).toBe('TLS');
  });
});
