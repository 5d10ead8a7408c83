import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DownloadEvent, type DownloadOptions, download, ErrorCode } from '@reget/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConformanceServer } from './conformance/target.js';
import { makeContent, pieceHashesOf, sha256, tamperEveryPiece } from './content.js';
import { ftpConformanceTarget } from './ftp/target.js';
import { failureOf } from './harness.js';
import { type HttpTestServer, startHttpServer } from './http/server.js';
import { httpConformanceTarget } from './http/target.js';
import { sftpConformanceTarget } from './sftp/target.js';
import { startThrottledProxy } from './throttled-proxy.js';

// One file from several sources of mixed protocols at once (mirrors), over real loopback servers.
const size = 6 * 1024 * 1024 + 321;
const pieceLength = 256 * 1024;
const content = makeContent(size, 41);

const tampered = () => tamperEveryPiece(content, pieceLength);
const pieceHashes = (data: Uint8Array) => pieceHashesOf(data, pieceLength);

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('one file from many sources (mirrors)', () => {
  let http: ConformanceServer;
  let ftp: ConformanceServer;
  let sftp: ConformanceServer;
  let directory: string;
  let events: DownloadEvent[];
  let counter = 0;

  beforeAll(async () => {
    [http, ftp, sftp] = await Promise.all([
      httpConformanceTarget().start(),
      ftpConformanceTarget().start(),
      sftpConformanceTarget().start(),
    ]);
    directory = await mkdtemp(join(tmpdir(), 'reget-mirrors-'));
  });
  afterAll(async () => {
    await Promise.all([http?.close(), ftp?.close(), sftp?.close()]);
    if (directory) await rm(directory, { recursive: true, force: true });
  });
  beforeEach(() => {
    events = [];
    for (const server of [http, ftp, sftp]) {
      server.setFaults({});
      server.resetCounters();
    }
  });

  /** Puts the file (or another body) on each server; returns the path and a fresh destination. */
  async function publish(bodies: { http?: Uint8Array; ftp?: Uint8Array; sftp?: Uint8Array } = {}) {
    const name = `m${++counter}.bin`;
    await http.putFile(`/${name}`, bodies.http ?? content);
    await ftp.putFile(`/${name}`, bodies.ftp ?? content);
    await sftp.putFile(`/${name}`, bodies.sftp ?? content);
    return { path: `/${name}`, destination: join(directory, name) };
  }

  function options(url: string, mirrors: string[], destination: string): DownloadOptions {
    return {
      url,
      mirrors,
      destination,
      adapters: [http.adapter, ftp.adapter, sftp.adapter],
      connections: 3,
      retries: 3,
      retryDelayMs: 1,
      connectTimeoutMs: 5_000,
      idleTimeoutMs: 10_000,
      onEvent: (event) => events.push(event),
    };
  }

  const dropped = () =>
    events.flatMap((event) => (event.type === 'source-dropped' ? [`${event.url}: ${event.reason}`] : []));

  it('fetches one file from an HTTP, an FTP and an SFTP server at once, byte for byte', async () => {
    const { path, destination } = await publish();
    const result = await download(options(http.url(path), [ftp.url(path), sftp.url(path)], destination));
    expect(sha256(await readFile(destination))).toBe(sha256(content));
    // Counted at the servers: each one served part of the file.
    for (const server of [http, ftp, sftp]) expect(server.transferStarts().length).toBeGreaterThan(0);
    expect(result.sources?.map((source) => source.bytes > 0)).toEqual([true, true, true]);
    expect(result.sources?.reduce((sum, source) => sum + source.bytes, 0)).toBe(size);
    const used = events.find((event) => event.type === 'sources');
    expect(used?.type === 'sources' && used.used.length).toBe(3);
    expect(dropped()).toEqual([]);
  });

  it('drops a mirror that keeps dying mid-way, and its ranges go to the others', async () => {
    const { path, destination } = await publish();
    ftp.setFaults({ dropAfterBytes: 100_000 });
    // The good sources at 4 MiB/s each: the download lasts long enough for every free connection
    // to try the failing mirror again (ranges are small), until it is dropped.
    const slowHttp = await startThrottledProxy(Number(new URL(http.url(path)).port), 4 << 20);
    const slowSftp = await startThrottledProxy(Number(new URL(sftp.url(path)).port), 4 << 20);
    try {
      const result = await download({
        ...options(slowHttp.via(http.url(path)), [ftp.url(path), slowSftp.via(sftp.url(path))], destination),
        minSegmentBytes: 200_000,
      });
      expect(sha256(await readFile(destination))).toBe(sha256(content));
      expect(dropped()).toEqual([expect.stringMatching(/^ftp:.*failed 3 times in a row/)]);
      expect(result.sources?.[1]?.dropped).toMatch(/failed 3 times/);
      expect(result.sources?.[1]?.bytes).toBeLessThanOrEqual(3 * 100_000);
    } finally {
      await Promise.all([slowHttp.close(), slowSftp.close()]);
    }
  });

  it('drops a mirror whose file has another size at its probe', async () => {
    const { path, destination } = await publish({ sftp: Buffer.concat([content, Buffer.from('x')]) });
    const result = await download(options(http.url(path), [ftp.url(path), sftp.url(path)], destination));
    expect(sha256(await readFile(destination))).toBe(sha256(content));
    expect(dropped()).toEqual([expect.stringMatching(new RegExp(`^sftp:.*has ${size + 1} bytes`))]);
    // At its probe: before the download decided anything, never after reading from it.
    const order = events.map((event) => event.type);
    expect(order.indexOf('source-dropped')).toBeLessThan(order.indexOf('decision'));
    expect(sftp.transferStarts()).toEqual([]);
    expect(result.sources?.[2]?.bytes).toBe(0);
  });

  it('takes the work of a mirror twenty times slower than the others', async () => {
    const { path, destination } = await publish();
    // A slow HTTP mirror: the same server behind a proxy that passes 256 KiB/s.
    const proxy = await startThrottledProxy(Number(new URL(http.url(path)).port), 256 * 1024);
    try {
      const slow = proxy.via(http.url(path));
      const result = await download(options(ftp.url(path), [sftp.url(path), slow], destination));
      expect(sha256(await readFile(destination))).toBe(sha256(content));
      // Its first third (2 MiB) would take 8 s at its rate: the fast sources took over most of it,
      // and it was dropped for trickling.
      expect(result.sources?.[2]?.bytes).toBeLessThan(640 * 1024);
      expect(dropped()).toEqual([expect.stringMatching(/^http:.*it trickles at \d+ KiB\/s per connection/)]);
    } finally {
      await proxy.close();
    }
  });

  it('heals a piece a mirror served wrong: the piece hash catches it, another source fetches it', async () => {
    const { path, destination } = await publish({ ftp: tampered() });
    const result = await download({
      ...options(http.url(path), [ftp.url(path), sftp.url(path)], destination),
      pieces: pieceHashes(content),
    });
    expect(sha256(await readFile(destination))).toBe(sha256(content));
    expect(dropped()).toEqual([expect.stringMatching(/^ftp:.*failed their piece hash/)]);
    expect(result.sources?.[1]?.dropped).toBeDefined();
  });

  it('without piece hashes, a checksum mismatch keeps the bytes as .corrupt and names the sources', async () => {
    const { path, destination } = await publish({ ftp: tampered() });
    const error = await failureOf(
      download({
        ...options(http.url(path), [ftp.url(path), sftp.url(path)], destination),
        checksum: `sha256:${sha256(content)}`,
      }),
    );
    expect(error.code).toBe(ErrorCode.CHECKSUM);
    expect(error.message).toContain(`${ftp.url(path).replace(/\/\/[^@]*@/, '//')} served bytes`);
    expect(await exists(`${destination}.corrupt`)).toBe(true);
    expect(await exists(destination)).toBe(false);
  });

  it('without any hash, a mirror serving other bytes is caught where ranges meet, and dropped', async () => {
    const other = makeContent(size, 42);
    const { path, destination } = await publish({ sftp: other });
    const result = await download(options(http.url(path), [ftp.url(path), sftp.url(path)], destination));
    expect(sha256(await readFile(destination))).toBe(sha256(content));
    expect(dropped()).toEqual([expect.stringMatching(/^sftp:.*disagree with the other sources/)]);
    expect(result.sources?.[2]?.dropped).toBeDefined();
  });

  it('resumes an interrupted download with another list of mirrors', async () => {
    const { path, destination } = await publish();
    const controller = new AbortController();
    const first = options(http.url(path), [ftp.url(path), sftp.url(path)], destination);
    const interrupted = await failureOf(
      download({
        ...first,
        progressIntervalMs: 0,
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'progress' && event.bytesOnDisk > size / 3) controller.abort();
        },
      }),
    );
    expect(interrupted.code).toBe(ErrorCode.ABORTED);
    expect(await exists(`${destination}.part`)).toBe(true);
    for (const server of [http, ftp, sftp]) server.resetCounters();
    const result = await download(options(http.url(path), [sftp.url(path)], destination));
    expect(sha256(await readFile(destination))).toBe(sha256(content));
    expect(result.resumes).toBe(1);
    expect(ftp.transferStarts()).toEqual([]);
    expect(result.fetchedBytes).toBeLessThan(size);
  });
});

describe('digests and mirrors an HTTP server publishes', () => {
  let http: HttpTestServer;
  // The announced mirror: a second HTTP server (announced URLs carry no credentials).
  let mirror: HttpTestServer;
  let directory: string;
  const body = makeContent(1024 * 1024 + 5, 43);
  const base64 = (algorithm: string, data: Uint8Array) => createHash(algorithm).update(data).digest('base64');

  beforeAll(async () => {
    [http, mirror] = await Promise.all([startHttpServer(), startHttpServer()]);
    await http.putFile('/f.bin', body);
    await mirror.putFile('/f.bin', body);
    directory = await mkdtemp(join(tmpdir(), 'reget-published-'));
  });
  afterAll(async () => {
    await Promise.all([http?.close(), mirror?.close()]);
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  const options = (name: string): DownloadOptions => ({
    url: http.url('/f.bin'),
    destination: join(directory, name),
    adapters: [http.adapter],
    retries: 1,
    retryDelayMs: 1,
  });

  it('checks the Repr-Digest the server sent, and reports it as the verified checksum', async () => {
    http.setFaults({ extraHeaders: { 'repr-digest': `sha-256=:${base64('sha256', body)}:` } });
    const result = await download(options('good.bin'));
    expect(result.checksum).toBe(`sha256:${sha256(body)}`);
  });

  it('keeps the bytes as .corrupt (CHECKSUM) when they do not match the published Digest', async () => {
    const wrong = Buffer.from(body);
    wrong[7] = wrong[7]! ^ 1;
    http.setFaults({ extraHeaders: { digest: `SHA-256=${base64('sha256', wrong)}` } });
    const error = await failureOf(download(options('bad.bin')));
    expect(error.code).toBe(ErrorCode.CHECKSUM);
    expect(error.message).toMatch(/digest the server published/);
    expect(await exists(join(directory, 'bad.bin.corrupt'))).toBe(true);
    expect(await exists(join(directory, 'bad.bin'))).toBe(false);
    // Asked not to, core leaves the published digest alone.
    const unchecked = await download({ ...options('unchecked.bin'), verifyPublishedDigest: false });
    expect(unchecked.checksum).toBeUndefined();
  });

  it('uses the duplicates a Link header announces only when asked to (followDuplicates)', async () => {
    http.setFaults({
      extraHeaders: {
        digest: `SHA-256=${base64('sha256', body)}`,
        link: `<${mirror.url('/f.bin')}>; rel=duplicate; pri=1`,
      },
    });
    mirror.resetCounters();
    const plain = await download(options('plain.bin'));
    expect(plain.sources).toBeUndefined();
    expect(mirror.transferStarts()).toEqual([]);
    const followed = await download({
      ...options('followed.bin'),
      followDuplicates: true,
      minSegmentBytes: 256 * 1024,
    });
    expect(followed.sources?.length).toBe(2);
    expect(mirror.transferStarts().length).toBeGreaterThan(0);
    expect(sha256(await readFile(join(directory, 'followed.bin')))).toBe(sha256(body));
  });
});
