import { type Adapter, ErrorCode, type RegetError } from '@reget/core';
import { failureOf, type HttpTestServer, makeContent, startHttpServer, withRemote } from '@reget/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpAdapter } from './adapter.js';
import { defaultUserAgent } from './options.js';

let server: HttpTestServer;
const content = makeContent(1000, 3);
const fresh = (body: Uint8Array = content) => server.putFresh(body);

function statOf(url: string, adapter: Adapter = server.adapter) {
  return withRemote(adapter, url, (remote) => remote.stat(new AbortController().signal));
}

function statError(url: string): Promise<RegetError> {
  return failureOf(statOf(url));
}

beforeAll(async () => {
  server = await startHttpServer({ adapterOptions: { headTimeoutMs: 300 } });
});
afterAll(() => server.close());
beforeEach(() => {
  server.setFaults({});
  server.resetCounters();
});

describe('stat: modifiedAt', () => {
  it('is the Last-Modified date, from HEAD and from the range probe', async () => {
    const url = await fresh();
    server.setFaults({ validators: 'last-modified' });
    const headed = await statOf(url);
    expect(server.requests.map((request) => request.method)).toEqual(['HEAD']);
    expect(headed.modifiedAt).toBeInstanceOf(Date);
    expect(`last-modified:${headed.modifiedAt?.toUTCString()}`).toBe(headed.validator?.value);
    server.setFaults({ validators: 'last-modified', head: 405 });
    const probed = await statOf(url);
    expect(probed.modifiedAt?.getTime()).toBe(headed.modifiedAt?.getTime());
  });

  it.each(['2026-12-05T10:00:00Z', 'yesterday', 'Mon, 31 Feb 2026 10:00:00 GMT'])(
    'is undefined for Last-Modified %j',
    async (value) => {
      const url = await fresh();
      server.setFaults({ validators: 'none', extraHeaders: { 'Last-Modified': value } });
      expect((await statOf(url)).modifiedAt).toBeUndefined();
    },
  );

  it('is undefined without Last-Modified', async () => {
    const url = await fresh();
    server.setFaults({ validators: 'none' });
    expect((await statOf(url)).modifiedAt).toBeUndefined();
  });
});

describe('stat: HEAD', () => {
  it('reports size, strong ETag, range support and the URL, asking for identity', async () => {
    const url = await fresh();
    const stat = await statOf(url);
    expect(stat.size).toBe(1000);
    expect(stat.acceptsRanges).toBe(true);
    expect(stat.validator?.isStrong).toBe(true);
    expect(stat.validator?.value).toMatch(/^etag:"/);
    expect(stat.url).toBe(url);
    expect(server.requests.map((request) => request.method)).toEqual(['HEAD']);
    expect(server.requests[0]?.headers['accept-encoding']).toBe('identity');
    expect(server.requests[0]?.headers['user-agent']).toBe(defaultUserAgent);
    expect(defaultUserAgent).toMatch(/^reget\/\d+\.\d+\.\d+/);
  });

  it('reports a Last-Modified validator as not strong when there is no strong ETag (CHG-02)', async () => {
    const url = await fresh();
    for (const validators of ['last-modified', 'weak-etag'] as const) {
      server.setFaults({ validators });
      const stat = await statOf(url);
      expect(stat.validator?.value).toMatch(/^last-modified:/);
      expect(stat.validator?.isStrong).toBe(false);
    }
    server.setFaults({ validators: 'none' });
    expect((await statOf(url)).validator).toBeUndefined();
  });

  it('says "no ranges" when the server says Accept-Ranges: none', async () => {
    const url = await fresh();
    server.setFaults({ extraHeaders: { 'Accept-Ranges': 'none' } });
    expect((await statOf(url)).acceptsRanges).toBe(false);
  });

  it('passes the Content-Disposition name on, raw (SEC-01 is core’s)', async () => {
    const url = await fresh();
    server.setFaults({ extraHeaders: { 'Content-Disposition': 'attachment; filename="../../.bashrc"' } });
    expect((await statOf(url)).suggestedFileName).toBe('../../.bashrc');
  });

  it('sends the configured User-Agent and headers', async () => {
    const url = await fresh();
    const adapter = createHttpAdapter({ userAgent: 'probe/1', headers: { 'X-Api-Key': 'k1' } });
    await statOf(url, adapter);
    expect(server.requests[0]?.headers['user-agent']).toBe('probe/1');
    expect(server.requests[0]?.headers['x-api-key']).toBe('k1');
  });
});

describe('stat: fallbacks (FAULTS HTTP-10, HTTP-11, HTTP-13)', () => {
  it.each([403, 405, 501] as const)('asks GET bytes=0-0 when HEAD is refused with %i', async (head) => {
    const url = await fresh();
    server.setFaults({ head });
    const stat = await statOf(url);
    expect(stat.size).toBe(1000);
    expect(stat.acceptsRanges).toBe(true);
    expect(stat.validator?.isStrong).toBe(true);
    expect(server.requests.map((request) => `${request.method} ${request.headers.range ?? ''}`)).toEqual([
      'HEAD ',
      'GET bytes=0-0',
    ]);
  });

  it('asks GET bytes=0-0 when HEAD has no length', async () => {
    const url = await fresh();
    server.setFaults({ head: 'no-length' });
    expect((await statOf(url)).size).toBe(1000);
  });

  it('gives up on a HEAD that never answers and asks GET bytes=0-0', async () => {
    const url = await fresh();
    server.setFaults({ head: 'hang' });
    expect((await statOf(url)).size).toBe(1000);
  });

  it('skips HEAD when headTimeoutMs is 0', async () => {
    const url = await fresh();
    expect((await statOf(url, createHttpAdapter({ headTimeoutMs: 0 }))).size).toBe(1000);
    expect(server.requests.map((request) => request.method)).toEqual(['GET']);
  });

  it('reports "size unknown", not NOT_FOUND, when the range probe is refused too', async () => {
    const url = await fresh();
    for (const rangeProbeStatus of [403, 503]) {
      server.setFaults({ head: 405, rangeProbeStatus });
      const stat = await statOf(url);
      expect(stat.size).toBeUndefined();
      expect(stat.acceptsRanges).toBeUndefined();
    }
  });

  it('reports NOT_FOUND when the GET says 404 too', async () => {
    const error = await statError(server.url('/missing.bin'));
    expect(error.code).toBe(ErrorCode.NOT_FOUND);
    expect(server.requests.map((request) => request.method)).toEqual(['HEAD', 'GET']);
  });

  it('takes the length of a 200 when the probe range is ignored', async () => {
    const url = await fresh();
    server.setFaults({ head: 405, ignoreRange: true });
    const stat = await statOf(url);
    expect(stat.size).toBe(1000);
    expect(stat.acceptsRanges).toBe(false);
  });

  it('never takes a coded HEAD length as the file size (HTTP-11)', async () => {
    const url = await fresh();
    server.setFaults({ gzip: 'always' });
    const stat = await statOf(url);
    expect(stat.size).toBeUndefined();
  });

  it('reports an empty file as size 0, also from a 416 bytes */0 probe (HTTP-13)', async () => {
    const url = await fresh(new Uint8Array(0));
    expect((await statOf(url)).size).toBe(0);
    server.setFaults({ head: 405 });
    expect((await statOf(url)).size).toBe(0);
  });
});
