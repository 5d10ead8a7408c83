import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { download } from '@reget/core';
import { createFtpAdapter } from '@reget/ftp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, interopOptions, runInteropScenarios } from './adapter-scenarios.js';
import { interopEnvironment, ServedFile, servedPath } from './environment.js';
import { sha256File, sizeOf, temporaryDirectory } from './files.js';

const environment = interopEnvironment();
const ca = readFileSync(environment.ca);

runInteropScenarios({
  name: 'ftp',
  adapter: () => createFtpAdapter(),
  url: (name) => `${environment.ftpUrl}/${name}`,
});

runInteropScenarios({
  name: 'ftpes',
  adapter: () => createFtpAdapter({ ca }),
  url: (name) => `${environment.ftpesUrl}/${name}`,
});

describe('ftp: credentials and certificates against vsftpd', () => {
  let directory: { path: string; remove: () => Promise<void> };

  beforeAll(async () => {
    directory = await temporaryDirectory('ftp-auth');
  });
  afterAll(async () => {
    await directory?.remove();
  });

  it('downloads over implicit FTPS (ftps://) with the CA', async () => {
    const destination = join(directory.path, 'implicit.bin');
    const url = `${environment.ftpsUrl}/${ServedFile.sample}`;
    await download(interopOptions(createFtpAdapter({ ca }), url, destination));
    expect(await sha256File(destination)).toBe(await sha256File(servedPath(ServedFile.sample)));
  });

  it('fails with AUTH for a user the server refuses, and keeps nothing', async () => {
    const destination = join(directory.path, 'bad-user.bin');
    const url = new URL(`${environment.ftpUrl}/${ServedFile.sample}`);
    url.username = 'nobody-here';
    url.password = 'wrong-secret';
    const error = await failure(download(interopOptions(createFtpAdapter(), url.href, destination)));
    expect(error.code).toBe('AUTH');
    expect(error.message).not.toContain('wrong-secret');
    expect(await sizeOf(`${destination}.part`)).toBeUndefined();
  });

  for (const [scheme, base] of [
    ['ftpes', environment.ftpesUrl],
    ['ftps', environment.ftpsUrl],
  ] as const) {
    it(`${scheme}: fails with TLS without a CA for the self-signed certificate`, async () => {
      const destination = join(directory.path, `${scheme}-no-ca.bin`);
      const url = `${base}/${ServedFile.sample}`;
      const error = await failure(download(interopOptions(createFtpAdapter(), url, destination)));
      expect(error.code).toBe('TLS');
    });

    it(`${scheme}: fails with TLS with a CA that did not sign the certificate`, async () => {
      const destination = join(directory.path, `${scheme}-other-ca.bin`);
      const url = `${base}/${ServedFile.sample}`;
      const adapter = createFtpAdapter({ ca: readFileSync(environment.otherCa) });
      const error = await failure(download(interopOptions(adapter, url, destination)));
      expect(error.code).toBe('TLS');
    });
  }
});
