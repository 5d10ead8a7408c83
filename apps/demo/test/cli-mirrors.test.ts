import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type FtpTestServer,
  type HttpTestServer,
  makeContent,
  pieceHashesOf,
  type SftpServer,
  sha256,
  startFtpServer,
  startHttpServer,
  startSftpServer,
  tamperEveryPiece,
} from '@reget/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCli } from './cli-process.js';
import { fileHash, jsonEvents, listDirectory } from './http-fixture.js';

// `reget` with mirrors: --mirror, tab-separated -i lines and --metalink, over real servers.
const size = 4 * 1024 * 1024 + 17;
const pieceLength = 256 * 1024;
const content = makeContent(size, 77);
const other = makeContent(400 * 1024, 78);
let root: string;
let count = 0;
let http: HttpTestServer;
let ftp: FtpTestServer;
let sftp: SftpServer;

const hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

const tampered = () => tamperEveryPiece(content, pieceLength);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'reget-cli-mirrors-'));
  [http, ftp, sftp] = await Promise.all([startHttpServer(), startFtpServer(), startSftpServer(), buildCli()]);
  for (const server of [http, ftp, sftp]) {
    await server.putFile('/file.bin', content);
    await server.putFile('/other.bin', other);
  }
  await ftp.putFile('/tampered.bin', tampered());
  await sftp.putFile('/tampered.bin', content);
  await http.putFile('/tampered.bin', content);
}, 120_000);

afterAll(async () => {
  await Promise.all([http, ftp, sftp].map((server) => server?.close()));
  await rm(root, { recursive: true, force: true });
});

async function newDirectory(): Promise<string> {
  count += 1;
  const directory = join(root, String(count));
  await mkdir(directory);
  return directory;
}

const hostKey = () => ['--host-key', sftp.hostKey.fingerprint];

describe('reget with mirrors', () => {
  it('fetches one file from an HTTP, an FTP and an SFTP mirror at once (--mirror)', async () => {
    const directory = await newDirectory();
    const result = await runCli([
      ...hostKey(),
      '-d',
      directory,
      http.url('/file.bin'),
      '--mirror',
      ftp.url('/file.bin'),
      '--mirror',
      sftp.url('/file.bin'),
    ]);
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
    expect(result.stderr).toMatch(/from 3 sources/);
    expect(await fileHash(join(directory, 'file.bin'))).toBe(sha256(content));
    // Each server was asked for bytes: the file really came from all three.
    expect(http.requests.some((request) => request.method === 'GET')).toBe(true);
    expect(ftp.transferStarts().length).toBeGreaterThan(0);
    expect(sftp.transferStarts().length).toBeGreaterThan(0);
  });

  it('refuses --mirror with more than one URL, before anything starts (exit 2)', async () => {
    const directory = await newDirectory();
    const result = await runCli([
      '-d',
      directory,
      http.url('/file.bin'),
      http.url('/other.bin'),
      '--mirror',
      ftp.url('/file.bin'),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--mirror names other places for one file/);
    expect(await listDirectory(directory)).toEqual([]);
  });

  it('reads the mirrors of each file from tab-separated -i lines', async () => {
    const directory = await newDirectory();
    const list = join(directory, 'urls.txt');
    await writeFile(
      list,
      `${http.url('/file.bin')}\t${ftp.url('/file.bin')}\t${sftp.url('/file.bin')}\n${http.url('/other.bin')}\n`,
    );
    const result = await runCli([...hostKey(), '--json', '-d', directory, '-i', list]);
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
    expect(await fileHash(join(directory, 'file.bin'))).toBe(sha256(content));
    expect(await fileHash(join(directory, 'other.bin'))).toBe(sha256(other));
    const sources = jsonEvents(result.stdout).filter((event) => event.type === 'sources');
    expect(sources).toHaveLength(1);
  });

  it('downloads every file of a Metalink, healing a piece a mirror served wrong', async () => {
    const directory = await newDirectory();
    const pieces = pieceHashesOf(content, pieceLength).hashes;
    const document = `<?xml version="1.0" encoding="UTF-8"?>
<metalink xmlns="urn:ietf:params:xml:ns:metalink">
  <file name="sub/tampered.bin">
    <size>${size}</size>
    <hash type="sha-256">${hex(content)}</hash>
    <pieces length="${pieceLength}" type="sha-256">
      ${pieces.map((piece) => `<hash>${piece}</hash>`).join('\n      ')}
    </pieces>
    <url priority="1">${ftp.url('/tampered.bin')}</url>
    <url priority="2">${http.url('/tampered.bin')}</url>
    <url priority="3">${sftp.url('/tampered.bin')}</url>
  </file>
  <file name="other.bin">
    <size>${other.length}</size>
    <hash type="sha-256">${hex(other)}</hash>
    <url>${http.url('/other.bin')}</url>
  </file>
</metalink>`;
    const metalink = join(root, `m${count}.meta4`);
    await writeFile(metalink, document);
    const result = await runCli([...hostKey(), '-d', directory, '--metalink', metalink]);
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
    expect(await fileHash(join(directory, 'sub', 'tampered.bin'))).toBe(sha256(content));
    expect(await fileHash(join(directory, 'other.bin'))).toBe(sha256(other));
    expect(result.stderr).toMatch(/no longer using ftp:\/\/.*piece hash/);
  });

  it('refuses a Metalink whose file name leaves the directory (exit 2), downloading nothing', async () => {
    const directory = await newDirectory();
    const metalink = join(root, `unsafe${count}.meta4`);
    await writeFile(
      metalink,
      `<metalink xmlns="urn:ietf:params:xml:ns:metalink"><file name="../escape.bin"><url>${http.url('/other.bin')}</url></file></metalink>`,
    );
    const result = await runCli(['-d', directory, '--metalink', metalink]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/escape\.bin/);
    expect(await listDirectory(directory)).toEqual([]);
    expect(await listDirectory(root)).not.toContain('escape.bin');
  });
});
