import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { download } from '@reget/core';
import { makeContent, type SftpServer, sha256, startSftpServer } from '@reget/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// SFTP scenarios through core's download(), beyond the shared conformance suite.
describe('download over SFTP', () => {
  let server: SftpServer;
  let directory: string;
  beforeAll(async () => {
    server = await startSftpServer();
    directory = await mkdtemp(join(tmpdir(), 'reget-sftp-download-'));
  });
  afterAll(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('downloads an empty file as an empty file (SFTP-05)', async () => {
    await server.putFile('/empty.bin', new Uint8Array(0));
    const destination = join(directory, 'empty.bin');
    const result = await download({ url: server.url('/empty.bin'), destination, adapters: [server.adapter] });
    expect(result.size).toBe(0);
    expect(await readFile(destination)).toHaveLength(0);
  });

  it('resumes byte-exact from a server that answers every READ short and drops mid-file (SFTP-06)', async () => {
    const content = makeContent(400_000, 11);
    await server.putFile(`/home/${server.username}/short.bin`, content);
    server.setFaults({ shortReads: 4_095, dropAfterBytes: 150_001, dropTimes: 1 });
    const destination = join(directory, 'short.bin');
    const result = await download({
      url: server.url('/~/short.bin'),
      destination,
      adapters: [server.adapter],
      retryDelayMs: 1,
    });
    server.setFaults({});
    expect(result.resumes).toBe(1);
    expect(sha256(await readFile(destination))).toBe(sha256(content));
  });
});
