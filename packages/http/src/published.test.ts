import { createHash } from 'node:crypto';
import { type HttpTestServer, makeContent, rawResponse, startHttpServer, withRemote } from '@reget/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpRemoteStat } from './remote.js';

let server: HttpTestServer;
const content = makeContent(1000, 7);
const base64Of = (algorithm: string, bytes: Uint8Array = content) =>
  createHash(algorithm).update(bytes).digest('base64');
const hexOf = (algorithm: string, bytes: Uint8Array = content) =>
  createHash(algorithm).update(bytes).digest('hex');
const other = new TextEncoder().encode('another version');

const sha256 = { algorithm: 'sha256', hex: hexOf('sha256') };
const sha512 = { algorithm: 'sha512', hex: hexOf('sha512') };
const sha1 = { algorithm: 'sha1', hex: hexOf('sha1') };
const md5 = { algorithm: 'md5', hex: hexOf('md5') };

/** MirrorBrain's headers for the file: three Digest lines, mirrors and the Metalink document. */
const mirrorBrainLines = (path: string) => [
  `Link: <${path}.meta4>; rel=describedby; type="application/metalink4+xml"`,
  'Link: <http://mirror-b.example/pub/file>; rel=duplicate; pri=2; geo=fr',
  'Link: <http://mirror-a.example/pub/file>; rel=duplicate; pri=1; geo=de',
  `Digest: MD5=${base64Of('md5')}`,
  `Digest: SHA=${base64Of('sha1')}`,
  `Digest: SHA-256=${base64Of('sha256')}`,
];

function statOf(url: string): Promise<HttpRemoteStat> {
  return withRemote(server.adapter, url, (remote) => remote.stat(new AbortController().signal));
}

const methods = () => server.requests.map((request) => `${request.method} ${request.headers.range ?? ''}`);

beforeAll(async () => {
  server = await startHttpServer({ adapterOptions: { headTimeoutMs: 2_000 } });
});
afterAll(() => server.close());
beforeEach(() => {
  server.setFaults({});
  server.resetCounters();
});

describe('stat: published digests and duplicates', () => {
  it('reports Repr-Digest and rel=duplicate links from HEAD, relative links resolved', async () => {
    const url = await server.putFresh(content);
    server.setFaults({
      extraHeaders: {
        'Repr-Digest': `sha-256=:${base64Of('sha256')}:, sha-512=:${base64Of('sha512')}:`,
        Link: '<http://mirror.example/file>; rel=duplicate; pri=2, </elsewhere/file>; rel=duplicate; pri=1',
      },
    });
    const stat = await statOf(url);
    expect(methods()).toEqual(['HEAD ']);
    expect(stat.digests).toEqual([sha512, sha256]);
    expect(stat.duplicates).toEqual([server.url('/elsewhere/file'), 'http://mirror.example/file']);
  });

  it('reports them from the GET bytes=0-0 probe when HEAD is refused: a 206 digest is the whole file’s', async () => {
    const url = await server.putFresh(content);
    server.setFaults({
      head: 405,
      extraHeaders: {
        Digest: `SHA-256=${base64Of('sha256')}`,
        Link: '<http://mirror.example/file>; rel=duplicate',
      },
    });
    const stat = await statOf(url);
    expect(methods()).toEqual(['HEAD ', 'GET bytes=0-0']);
    expect(stat.digests).toEqual([sha256]);
    expect(stat.duplicates).toEqual(['http://mirror.example/file']);
  });

  it('never reports Content-Digest, which covers only the bytes of that one answer', async () => {
    const url = await server.putFresh(content);
    for (const head of ['normal', 405] as const) {
      server.setFaults({
        head,
        extraHeaders: {
          'Content-Digest': `sha-256=:${base64Of('sha256', content.subarray(0, 1))}:`,
          Link: '<http://mirror.example/file>; rel=duplicate',
        },
      });
      const stat = await statOf(url);
      expect(stat.digests).toBeUndefined();
      expect(stat.duplicates).toBeUndefined();
    }
  });

  it('reads MirrorBrain’s separate Digest and Link lines, mirrors by pri, the Metalink URL', async () => {
    const url = await server.putFresh(content);
    const path = new URL(url).pathname;
    server.setFaults({
      raw: (request) =>
        request.method === 'HEAD'
          ? rawResponse('200 OK', ['Content-Length: 1000', ...mirrorBrainLines(path)])
          : undefined,
    });
    const stat = await statOf(url);
    expect(stat.size).toBe(1000);
    expect(stat.digests).toEqual([sha256, sha1, md5]);
    expect(stat.duplicates).toEqual(['http://mirror-a.example/pub/file', 'http://mirror-b.example/pub/file']);
    expect(stat.metalinkUrl).toBe(`${url}.meta4`);
  });

  it('takes a redirector’s digests and mirrors from its redirect (RFC 6249), leaving out the chain', async () => {
    const url = await server.putFresh(content);
    const path = new URL(url).pathname;
    const target = server.secondOrigin.url(path);
    server.setFaults({
      redirect: {
        to: 'second-origin',
        headers: {
          Digest: `SHA-256=${base64Of('sha256')}`,
          Link: [
            `<${target}>; rel=duplicate; pri=1`,
            '<mirror-c/file>; rel=duplicate; pri=2',
            `<${path}.meta4>; rel=describedby; type="application/metalink4+xml"`,
          ].join(', '),
        },
      },
    });
    const stat = await statOf(url);
    expect(stat.url).toBe(target);
    expect(stat.size).toBe(1000);
    expect(stat.digests).toEqual([sha256]);
    // Relative to the redirect's own URL, not to where it led.
    expect(stat.duplicates).toEqual([new URL('mirror-c/file', url).href]);
    expect(stat.metalinkUrl).toBe(`${url}.meta4`);
  });

  it('takes digests and mirrors from the first answer that has digests, not a mix', async () => {
    const url = await server.putFresh(content);
    server.setFaults({
      redirect: {
        to: 'same-origin',
        times: 1,
        headers: {
          Digest: `SHA-256=${base64Of('sha256')}`,
          Link: '<http://mirror-a.example/f>; rel=duplicate',
        },
      },
      extraHeaders: {
        'Repr-Digest': `sha-512=:${base64Of('sha512', other)}:`,
        Link: '<http://mirror-z.example/f>; rel=duplicate',
      },
    });
    const stat = await statOf(url);
    expect(stat.url).toBe(server.url(`/moved${new URL(url).pathname}`));
    expect(stat.digests).toEqual([sha256]);
    expect(stat.duplicates).toEqual(['http://mirror-a.example/f']);
  });

  it('ignores rel=duplicate links when no digest comes with them (RFC 6249 §6)', async () => {
    const url = await server.putFresh(content);
    server.setFaults({
      extraHeaders: {
        Link: '<http://mirror.example/file>; rel=duplicate, <f.meta4>; rel=describedby; type="application/metalink4+xml"',
      },
    });
    const stat = await statOf(url);
    expect(stat.digests).toBeUndefined();
    expect(stat.duplicates).toBeUndefined();
    expect(stat.metalinkUrl).toBe(new URL('f.meta4', url).href);
  });

  it('reports no digest when the answer is content-coded: it would not be the kept bytes’', async () => {
    const url = await server.putFresh(content);
    server.setFaults({
      gzip: 'always',
      extraHeaders: {
        'Repr-Digest': `sha-256=:${base64Of('sha256')}:`,
        Link: '<http://mirror.example/file>; rel=duplicate',
      },
    });
    const coded = await statOf(url);
    expect(coded.size).toBeUndefined();
    expect(coded.digests).toBeUndefined();
    expect(coded.duplicates).toBeUndefined();
    server.setFaults({
      gzip: 'always',
      redirect: { to: 'same-origin', headers: { Digest: `SHA-256=${base64Of('sha256')}` } },
    });
    expect((await statOf(url)).digests).toBeUndefined();
  });

  it('reports no digest from an error answer', async () => {
    const url = await server.putFresh(content);
    const digestLine = `Repr-Digest: sha-256=:${base64Of('sha256')}:`;
    server.setFaults({
      raw: (request) =>
        request.method === 'HEAD'
          ? rawResponse('405 Method Not Allowed', ['Content-Length: 0', digestLine])
          : rawResponse('503 Service Unavailable', ['Content-Length: 0', digestLine]),
    });
    const stat = await statOf(url);
    expect(stat.size).toBeUndefined();
    expect(stat.digests).toBeUndefined();
  });

  it('keeps HEAD’s digests when the probe names the same version, and only then', async () => {
    const url = await server.putFresh(content);
    const etag = (await statOf(url)).validator?.value.replace(/^etag:/, '');
    expect(etag).toMatch(/^"/);
    const headWithoutLength = (tag: string) => (request: { method: string }) =>
      request.method === 'HEAD'
        ? rawResponse('200 OK', [`ETag: ${tag}`, `Repr-Digest: sha-256=:${base64Of('sha256')}:`])
        : undefined;
    server.setFaults({ raw: headWithoutLength(etag ?? '') });
    const same = await statOf(url);
    expect(same.size).toBe(1000);
    expect(same.digests).toEqual([sha256]);
    server.setFaults({ raw: headWithoutLength('"an-older-version"') });
    expect((await statOf(url)).digests).toBeUndefined();
  });
});
