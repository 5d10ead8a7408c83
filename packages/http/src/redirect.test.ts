import { ErrorCode, type Remote } from '@reget/core';
import {
  collectBody,
  failureOf,
  type HttpTestServer,
  makeContent,
  startHttpServer,
  withRemote,
} from '@reget/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpAdapter } from './adapter.js';

const content = makeContent(100, 11);
const sensitive = ['authorization', 'cookie', 'proxy-authorization', 'x-api-key'];
const headers = { Cookie: 'session=s3cr3t', 'Proxy-Authorization': 'Basic cHJveHk6cHc=', 'X-Api-Key': 'k3y' };

let plain: HttpTestServer;
let secure: HttpTestServer;

function withCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = 'user';
  parsed.password = 'pa55';
  return parsed.href;
}

function withCredentialedRemote<T>(
  server: HttpTestServer,
  use: (remote: Remote) => Promise<T>,
  maxRedirects?: number,
) {
  const adapter = createHttpAdapter({ headers, ca: server.certificate, maxRedirects });
  return withRemote(adapter, withCredentials(server.url('/file.bin')), use);
}

beforeAll(async () => {
  [plain, secure] = await Promise.all([startHttpServer(), startHttpServer({ tls: true })]);
  await Promise.all([plain.putFile('/file.bin', content), secure.putFile('/file.bin', content)]);
});
afterAll(() => Promise.all([plain.close(), secure.close()]));
beforeEach(() => {
  for (const server of [plain, secure]) {
    server.setFaults({});
    server.resetCounters();
  }
});

describe('redirects (FAULTS HTTP-14, SEC-03, SEC-04)', () => {
  it('resends Range and If-Range on a same-origin hop, with the credentials, and reports the final URL', async () => {
    plain.setFaults({ redirect: { to: 'same-origin', status: 301 } });
    await withCredentialedRemote(plain, async (remote) => {
      const signal = new AbortController().signal;
      const stat = await remote.stat(signal);
      expect(stat.url).toBe(plain.url('/moved/file.bin'));
      expect(stat.url).not.toContain('pa55');
      const response = await remote.read({ start: 40, validator: stat.validator, signal });
      expect((await collectBody(response.body)).equals(content.subarray(40))).toBe(true);
    });
    const gets = plain.requests.filter((request) => request.method === 'GET');
    expect(gets.map((request) => request.path)).toEqual(['/file.bin', '/moved/file.bin']);
    for (const request of gets) {
      expect(request.headers.range).toBe('bytes=40-');
      expect(request.headers['if-range']).toMatch(/^"/);
      expect(request.headers.authorization).toBe(`Basic ${Buffer.from('user:pa55').toString('base64')}`);
      expect(request.headers['x-api-key']).toBe('k3y');
    }
  });

  it('drops credentials and custom headers on a hop to another origin, keeping Range and If-Range', async () => {
    plain.setFaults({ redirect: { to: 'second-origin', status: 307 } });
    await withCredentialedRemote(plain, async (remote) => {
      const signal = new AbortController().signal;
      const stat = await remote.stat(signal);
      expect(stat.url).toBe(plain.secondOrigin.url('/file.bin'));
      const response = await remote.read({ start: 40, validator: stat.validator, signal });
      expect((await collectBody(response.body)).equals(content.subarray(40))).toBe(true);
    });
    expect(plain.requests[0]?.headers.authorization).toBeDefined();
    const received = plain.secondOrigin.requests;
    expect(received.map((request) => request.method)).toEqual(['HEAD', 'GET']);
    for (const request of received) {
      for (const name of sensitive) expect(request.headers[name]).toBeUndefined();
    }
    expect(received[1]?.headers.range).toBe('bytes=40-');
    expect(received[1]?.headers['if-range']).toMatch(/^"/);
  });

  it('never sends credentials over an https→http downgrade', async () => {
    secure.setFaults({ redirect: { to: 'second-origin' } });
    await withCredentialedRemote(secure, async (remote) => {
      const response = await remote.read({ start: 0, signal: new AbortController().signal });
      expect((await collectBody(response.body)).equals(content)).toBe(true);
    });
    expect(secure.requests[0]?.headers.authorization).toBeDefined();
    const [request] = secure.secondOrigin.requests;
    expect(request).toBeDefined();
    for (const name of sensitive) expect(request?.headers[name]).toBeUndefined();
  });

  it('asks the original URL again on every read (a signed target may have expired)', async () => {
    plain.setFaults({ redirect: { to: 'second-origin' } });
    await withCredentialedRemote(plain, async (remote) => {
      const signal = new AbortController().signal;
      await collectBody((await remote.read({ start: 0, end: 50, signal })).body);
      await collectBody((await remote.read({ start: 50, signal })).body);
    });
    expect(plain.requests.map((request) => request.path)).toEqual(['/file.bin', '/file.bin']);
  });

  it.each(['file:///etc/passwd', 'ftp://127.0.0.1/file.bin', 'javascript:alert(1)'])(
    'refuses a redirect to %s with PROTOCOL',
    async (to) => {
      plain.setFaults({ redirect: { to } });
      const error = await failureOf(
        withCredentialedRemote(plain, (remote) =>
          remote.read({ start: 0, signal: new AbortController().signal }),
        ),
      );
      expect(error.code).toBe(ErrorCode.PROTOCOL);
      expect(error.retryable).toBe(false);
    },
  );

  it('stops an endless chain after maxRedirects with PROTOCOL', async () => {
    plain.setFaults({ redirect: { to: 'loop' } });
    const error = await failureOf(
      withCredentialedRemote(
        plain,
        (remote) => remote.read({ start: 0, signal: new AbortController().signal }),
        3,
      ),
    );
    expect(error.code).toBe(ErrorCode.PROTOCOL);
    expect(plain.requests.length).toBe(4);
  });

  it('refuses a redirect without a Location', async () => {
    plain.setFaults({ raw: () => 'HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n' });
    const error = await failureOf(
      withCredentialedRemote(plain, (remote) =>
        remote.read({ start: 0, signal: new AbortController().signal }),
      ),
    );
    expect(error.code).toBe(ErrorCode.PROTOCOL);
  });
});
