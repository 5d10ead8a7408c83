import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '@reget/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceServer } from '../conformance/target.js';
import { makeContent, seededRandom } from '../content.js';
import { toNetworkAscii, toNetworkAsciiChunks } from '../ftp/data.js';
import { startFtpServer } from '../ftp/server.js';
import { failureOf, readBytes, withRemote } from '../harness.js';
import { type HttpTestServer, startHttpServer } from '../http/server.js';
import { startSftpServer } from '../sftp/server.js';

const signal = () => new AbortController().signal;
let root: string;
let served: string;
let http: HttpTestServer;
let servers: Array<{ name: string; server: ConformanceServer }>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'reget-disk-folder-'));
  served = join(root, 'served');
  await mkdir(join(served, 'sub'), { recursive: true });
  await writeFile(join(root, 'secret.txt'), 'secret outside the folder\n');
  await writeFile(join(served, 'sub', 'note.txt'), 'hello\n');
  await writeFile(join(served, '.hidden.txt'), 'dot file\n');
  await symlink(join(root, 'secret.txt'), join(served, 'link-out.txt'));
  await symlink(root, join(served, 'link-dir'));
  await symlink(join(served, 'sub', 'note.txt'), join(served, 'link-in.txt'));
  execFileSync('mkfifo', [join(served, 'fifo')]);
  http = await startHttpServer({ folder: served });
  servers = [
    { name: 'HTTP', server: http },
    { name: 'FTP', server: await startFtpServer({ user: 'reget', password: 'pw', folder: served }) },
    { name: 'SFTP', server: await startSftpServer({ folder: served }) },
  ];
});

afterAll(async () => {
  await Promise.all(servers.map(({ server }) => server.close()));
  await rm(root, { recursive: true, force: true });
});

const eachServer = () => servers.map((entry) => [entry.name, entry] as const);

describe('a folder served from disk', () => {
  it('serves a file and ranges of it over HTTP, FTP and SFTP', async () => {
    const content = makeContent(300_000, 3);
    await writeFile(join(served, 'file.bin'), content);
    for (const [name, { server }] of eachServer()) {
      const whole = await readBytes(server.adapter, server.url('/sub/../file.bin'));
      expect(Buffer.compare(whole.bytes, content), name).toBe(0);
      const part = await readBytes(server.adapter, server.url('/file.bin'), { start: 123_456, end: 200_000 });
      expect({ name, start: part.start }).toEqual({ name, start: 123_456 });
      expect(Buffer.compare(part.bytes, content.subarray(123_456, 200_000)), name).toBe(0);
    }
  });

  it('sees a file changed on disk at the next request: new size, new validator, new bytes', async () => {
    const path = join(served, 'changing.bin');
    await writeFile(path, makeContent(50_000, 4));
    const before = new Map<string, unknown>();
    for (const [name, { server }] of eachServer()) {
      const stat = await withRemote(server.adapter, server.url('/changing.bin'), (remote) =>
        remote.stat(signal()),
      );
      expect({ name, size: stat.size }).toEqual({ name, size: 50_000 });
      before.set(name, stat.validator?.value);
    }
    const replacement = makeContent(60_000, 5);
    // In place, as an editor or a copy over the file does; the same inode.
    await writeFile(path, replacement);
    for (const [name, { server }] of eachServer()) {
      const after = await readBytes(server.adapter, server.url('/changing.bin'));
      expect({ name, total: after.total ?? after.end }).toEqual({ name, total: 60_000 });
      expect(Buffer.compare(after.bytes, replacement), name).toBe(0);
      const stat = await withRemote(server.adapter, server.url('/changing.bin'), (remote) =>
        remote.stat(signal()),
      );
      expect(stat.validator?.value, name).not.toBe(before.get(name));
    }
  });

  it('changes the HTTP ETag when a file is rewritten in place with the same size', async () => {
    const path = join(served, 'same-size.bin');
    await writeFile(path, makeContent(10_000, 6));
    const etag = async () =>
      (await withRemote(http.adapter, http.url('/same-size.bin'), (remote) => remote.stat(signal())))
        .validator;
    const first = await etag();
    expect(first?.isStrong).toBe(true);
    await writeFile(path, makeContent(10_000, 7));
    expect((await etag())?.value).not.toBe(first?.value);
  });

  it('answers not found for a file that disappeared', async () => {
    const path = join(served, 'going.bin');
    await writeFile(path, makeContent(1000, 8));
    for (const [, { server }] of eachServer()) await readBytes(server.adapter, server.url('/going.bin'));
    await rm(path);
    for (const [name, { server }] of eachServer()) {
      const failure = await failureOf(readBytes(server.adapter, server.url('/going.bin')));
      expect({ name, code: failure.code }).toEqual({ name, code: ErrorCode.NOT_FOUND });
    }
  });

  it.each(['/.hidden.txt', '/link-out.txt', '/link-dir/secret.txt', '/link-in.txt', '/fifo', '/missing.bin'])(
    'never serves %s (dot file, link, special file or absent): not found',
    async (path) => {
      for (const [name, { server }] of eachServer()) {
        const failure = await failureOf(readBytes(server.adapter, server.url(path)));
        expect({ name, code: failure.code }).toEqual({ name, code: ErrorCode.NOT_FOUND });
      }
    },
  );

  it.each([
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/sub%2F..%2F..%2Fsecret.txt',
    '/sub/%2E%2E%2F%2E%2E%2Fsecret.txt',
    '/link-dir%2Fsecret.txt',
  ])('never serves %s over HTTP, a path out of the folder', async (path) => {
    const answer = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
      get(`${http.origin}${path}`, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode, body }));
      }).on('error', reject);
    });
    expect(answer.status).toBe(404);
    expect(answer.body).not.toContain('secret');
  });

  it('lets a file put in memory take precedence over the one on disk', async () => {
    await writeFile(join(served, 'both.bin'), 'on disk');
    await http.putFile('/both.bin', Buffer.from('in memory'));
    expect((await readBytes(http.adapter, http.url('/both.bin'))).bytes.toString()).toBe('in memory');
  });
});

describe('FTP ASCII mode from disk', () => {
  it('converts line ends chunk by chunk as the whole-buffer conversion does, from any offset (seed 41)', async () => {
    const random = seededRandom(41);
    const text = Buffer.from(
      Array.from({ length: 2000 }, () => ['a', 'b', '\n', '\r', '\r\n'][Math.floor(random() * 5)]).join(''),
      'latin1',
    );
    const expected = toNetworkAscii(text);
    for (let round = 0; round < 50; round++) {
      const cuts = [
        0,
        ...Array.from({ length: 10 }, () => Math.floor(random() * text.length)).sort((a, b) => a - b),
      ];
      const chunks = cuts.map((cut, index) => text.subarray(cut, cuts[index + 1] ?? text.length));
      const offset = Math.floor(random() * expected.length);
      async function* source() {
        yield* chunks;
      }
      const sent: Uint8Array[] = [];
      for await (const chunk of toNetworkAsciiChunks(source(), offset)) sent.push(chunk);
      expect(Buffer.concat(sent).equals(Buffer.from(expected.subarray(offset)))).toBe(true);
    }
  });
});
