import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { download, ErrorCode, type Validator } from '@reget/core';
import {
  collectBody,
  failureOf,
  type HttpTestServer,
  makeContent,
  rawForGet,
  rawResponse,
  startHttpServer,
  withRemote,
} from '@reget/testkit';
import axios, { type AxiosInstance, type CreateAxiosDefaults } from 'axios';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpAdapter } from './adapter.js';

const mark = 'x-through-instance';
const content = makeContent(300 * 1024 + 17, 23);
const instanceAuthorization = `Basic ${Buffer.from('instance:s3cret').toString('base64')}`;

let server: HttpTestServer;
let directory: string;
let counter = 0;

beforeAll(async () => {
  server = await startHttpServer();
  directory = await mkdtemp(join(tmpdir(), 'reget-http-instance-'));
});
afterAll(async () => {
  await server.close();
  await rm(directory, { recursive: true, force: true });
});
beforeEach(() => {
  server.setFaults({});
  server.resetCounters();
});

/** A caller's instance: default credentials, a marking and counting request interceptor, a counting response one. */
function callersInstance(defaults: CreateAxiosDefaults = {}) {
  const counts = { requests: 0, responses: 0 };
  const instance = axios.create({
    auth: { username: 'instance', password: 's3cret' },
    headers: { Cookie: 'jar=instance' },
    ...defaults,
  });
  instance.interceptors.request.use((config) => {
    counts.requests += 1;
    config.headers.set(mark, 'yes');
    // Deliberately against reget: the transport must send identity whatever an interceptor asks for.
    config.headers.set('Accept-Encoding', 'gzip, br');
    return config;
  });
  instance.interceptors.response.use((response) => {
    counts.responses += 1;
    return response;
  });
  return { instance, counts };
}

/** Every request both origins received since the last reset. */
const received = () => [...server.requests, ...server.secondOrigin.requests];

async function downloadWith(
  instance: AxiosInstance,
  extra: { connections?: number; minSegmentBytes?: number } = {},
) {
  counter += 1;
  await server.putFile(`/i${counter}.bin`, content);
  server.resetCounters();
  const destination = join(directory, `i${counter}.bin`);
  const result = await download({
    url: server.url(`/i${counter}.bin`),
    destination,
    adapters: [createHttpAdapter({ axios: instance })],
    retries: 3,
    retryDelayMs: 1,
    ...extra,
  });
  expect((await readFile(destination)).equals(content)).toBe(true);
  return result;
}

function expectAllThroughInstance(counts: { requests: number; responses: number }) {
  const requests = received();
  expect(requests.length).toBeGreaterThan(0);
  for (const request of requests) expect(request.headers[mark]).toBe('yes');
  expect(counts.requests).toBe(requests.length);
  expect(counts.responses).toBe(requests.length);
}

describe('downloads through a caller’s axios instance', () => {
  it('sends every request of a fresh download through it, with its credentials, identity-encoded', async () => {
    const { instance, counts } = callersInstance();
    server.setFaults({ gzip: 'when-asked' });
    await downloadWith(instance);
    expectAllThroughInstance(counts);
    for (const request of received()) {
      expect(request.headers.authorization).toBe(instanceAuthorization);
      expect(request.headers['accept-encoding']).toBe('identity');
    }
  });

  it('resumes through it, with If-Range (strong ETag) and identity on the ranged request', async () => {
    const { instance, counts } = callersInstance();
    server.setFaults({ dropAfterBytes: 100_000, dropTimes: 1, gzip: 'when-asked' });
    const result = await downloadWith(instance);
    expect(result.resumes).toBeGreaterThanOrEqual(1);
    expectAllThroughInstance(counts);
    const ranged = received().filter((request) => request.headers.range !== undefined);
    expect(ranged.some((request) => /^bytes=[1-9]/.test(request.headers.range ?? ''))).toBe(true);
    for (const request of ranged) {
      expect(request.headers['accept-encoding']).toBe('identity');
      if (/^bytes=[1-9]/.test(request.headers.range ?? '')) expect(request.headers['if-range']).toMatch(/^"/);
    }
  });

  it('fetches with three connections through it', async () => {
    const { instance, counts } = callersInstance();
    await downloadWith(instance, { connections: 3, minSegmentBytes: 64 * 1024 });
    expectAllThroughInstance(counts);
    const gets = received().filter((request) => request.method === 'GET' && request.headers.range);
    expect(gets.length).toBeGreaterThanOrEqual(3);
  });

  it('follows a cross-origin redirect through it, leaving every header of its own on the first origin', async () => {
    const { instance, counts } = callersInstance({
      headers: { Cookie: 'jar=instance', 'X-Api-Key': 'instance-api-key' },
    });
    server.setFaults({ redirect: { to: 'second-origin' } });
    await downloadWith(instance);
    // Every request, on both origins, went through the instance's interceptors.
    expect(counts.requests).toBe(received().length);
    expect(counts.responses).toBe(received().length);
    expect(server.requests.length).toBeGreaterThan(0);
    for (const request of server.requests) {
      expect(request.headers.authorization).toBe(instanceAuthorization);
      expect(request.headers['x-api-key']).toBe('instance-api-key');
      expect(request.headers[mark]).toBe('yes');
    }
    expect(server.secondOrigin.requests.length).toBeGreaterThan(0);
    for (const request of server.secondOrigin.requests) {
      // A header an instance or an interceptor adds may be a credential reget cannot name (SEC-03).
      expect(request.headers['x-api-key']).toBeUndefined();
      expect(request.headers[mark]).toBeUndefined();
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers.cookie).toBeUndefined();
      expect(request.headers['accept-encoding']).toBe('identity');
    }
  });

  it('uses the instance’s own agents', async () => {
    let connections = 0;
    class CountingAgent extends http.Agent {
      override createConnection(...args: Parameters<http.Agent['createConnection']>) {
        connections += 1;
        return super.createConnection(...args);
      }
    }
    const { instance } = callersInstance({ httpAgent: new CountingAgent({ keepAlive: false }) });
    await downloadWith(instance);
    expect(connections).toBeGreaterThan(0);
  });
});

describe('reget’s rules hold through the instance', () => {
  async function resumeRequest(
    validators: 'strong-etag' | 'weak-etag' | 'last-modified',
    isDateWeak: boolean,
  ) {
    const { instance } = callersInstance();
    counter += 1;
    await server.putFile(`/v${counter}.bin`, content);
    server.setFaults({ validators, weakLastModified: isDateWeak });
    const adapter = createHttpAdapter({ axios: instance });
    await withRemote(adapter, server.url(`/v${counter}.bin`), async (remote) => {
      const signal = new AbortController().signal;
      const { validator } = await remote.stat(signal);
      server.resetCounters();
      await collectBody((await remote.read({ start: 100, validator: validator as Validator, signal })).body);
    });
    const [request] = server.requests;
    expect(request?.headers[mark]).toBe('yes');
    expect(request?.headers.range).toBe('bytes=100-');
    return request?.headers['if-range'];
  }

  it('sends If-Range with a strong ETag, and a date only when it is strong', async () => {
    expect(await resumeRequest('strong-etag', false)).toMatch(/^"/);
    expect(await resumeRequest('last-modified', false)).toMatch(/GMT$/);
  });

  it('never sends If-Range with a weak ETag or a weak date', async () => {
    expect(await resumeRequest('weak-etag', true)).toBeUndefined();
    expect(await resumeRequest('last-modified', true)).toBeUndefined();
  });

  it.each([
    [
      'a range past the total it names',
      ['Content-Range: bytes 40-49/45', 'Content-Length: 10'],
      '0123456789',
    ],
    [
      'a Content-Length other than the span',
      ['Content-Range: bytes 40-49/100', 'Content-Length: 5'],
      'abcde',
    ],
  ])('refuses a 206 with %s (PROTOCOL)', async (_, headers, body) => {
    const { instance } = callersInstance();
    const url = await server.putFresh(content);
    server.setFaults(rawForGet(rawResponse('206 Partial Content', headers, body)));
    const error = await failureOf(
      withRemote(createHttpAdapter({ axios: instance }), url, (remote) =>
        remote.read({ start: 40, signal: new AbortController().signal }),
      ),
    );
    expect(error.code).toBe(ErrorCode.PROTOCOL);
  });

  it('keeps its guarantees whatever the instance’s defaults say', async () => {
    const { instance, counts } = callersInstance({
      decompress: true,
      maxRedirects: 5,
      responseType: 'json',
      validateStatus: (status) => status < 300,
      transformResponse: [() => 'replaced'],
      maxContentLength: 1000,
      maxRate: [1024, 1024],
      onDownloadProgress: () => undefined,
      params: { extra: 'yes' },
      headers: { common: { 'Accept-Encoding': 'gzip', Range: 'bytes=0-9' } },
    });
    server.setFaults({ gzip: 'when-asked', dropAfterBytes: 120_000, dropTimes: 1 });
    const result = await downloadWith(instance);
    expect(result.resumes).toBeGreaterThanOrEqual(1);
    expectAllThroughInstance(counts);
    const fromZero = received().filter((request) => request.method === 'GET' && !request.headers.range);
    expect(fromZero.length).toBeGreaterThan(0);
    const missing = await failureOf(
      download({
        url: server.url('/missing.bin'),
        destination: join(directory, 'missing.bin'),
        adapters: [createHttpAdapter({ axios: instance })],
      }),
    );
    expect(missing.code).toBe(ErrorCode.NOT_FOUND);
  });

  it('hands over a compressed body as sent, never decompressed, even when the instance asks to', async () => {
    const { instance } = callersInstance({ decompress: true });
    const url = await server.putFresh(content);
    server.setFaults({ gzip: 'always' });
    const adapter = createHttpAdapter({ axios: instance });
    const whole = await withRemote(adapter, url, async (remote) =>
      collectBody((await remote.read({ start: 0, signal: new AbortController().signal })).body),
    );
    expect(whole.subarray(0, 2).toString('hex')).toBe('1f8b');
    const ranged = await failureOf(
      withRemote(adapter, url, (remote) => remote.read({ start: 40, signal: new AbortController().signal })),
    );
    expect(ranged.code).toBe(ErrorCode.RANGE_NOT_SUPPORTED);
  });

  it('refuses a response whose body an interceptor replaced (PROTOCOL)', async () => {
    const { instance } = callersInstance();
    instance.interceptors.response.use((response) => ({ ...response, data: new PassThrough() }));
    const url = await server.putFresh(content);
    const error = await failureOf(
      withRemote(createHttpAdapter({ axios: instance }), url, (remote) =>
        remote.read({ start: 0, signal: new AbortController().signal }),
      ),
    );
    expect(error.code).toBe(ErrorCode.PROTOCOL);
  });

  it('refuses an answer that never went through axios’s http adapter (BAD_INPUT)', async () => {
    const { instance } = callersInstance();
    instance.interceptors.request.use((config) => {
      config.adapter = async () => ({
        data: new PassThrough(),
        status: 200,
        statusText: 'OK',
        headers: {},
        config,
      });
      return config;
    });
    const url = await server.putFresh(content);
    const error = await failureOf(
      withRemote(createHttpAdapter({ axios: instance }), url, (remote) =>
        remote.read({ start: 0, signal: new AbortController().signal }),
      ),
    );
    expect(error.code).toBe(ErrorCode.BAD_INPUT);
  });
});

describe('options next to an instance', () => {
  it('sends the instance’s User-Agent unless the userAgent option is given', async () => {
    const instance = axios.create({ headers: { 'User-Agent': 'mine/1.0' } });
    const url = await server.putFresh(content);
    server.resetCounters();
    for (const adapter of [
      createHttpAdapter({ axios: instance }),
      createHttpAdapter({ axios: instance, userAgent: 'theirs/2' }),
    ]) {
      await withRemote(adapter, url, (remote) => remote.stat(new AbortController().signal));
    }
    expect(server.requests.map((request) => request.headers['user-agent'])).toEqual(['mine/1.0', 'theirs/2']);
  });

  it('reports an instance httpsAgent that skips verification, and refuses ca or insecure beside one', () => {
    const lax = axios.create({ httpsAgent: new https.Agent({ rejectUnauthorized: false }) });
    expect(createHttpAdapter({ axios: lax }).isInsecure).toBe(true);
    expect(createHttpAdapter({ axios: axios.create({ httpsAgent: new https.Agent() }) }).isInsecure).toBe(
      false,
    );
    for (const options of [{ ca: 'PEM' }, { insecure: true }]) {
      expect(() => createHttpAdapter({ axios: lax, ...options })).toThrow(
        expect.objectContaining({ code: ErrorCode.BAD_INPUT }),
      );
    }
    expect(() => createHttpAdapter({ axios: {} as AxiosInstance })).toThrow(
      expect.objectContaining({ code: ErrorCode.BAD_INPUT }),
    );
  });
});

describe('the default adapter', () => {
  it('sends its requests through an axios instance of its own, which it exposes', async () => {
    const adapter = createHttpAdapter();
    let seen = 0;
    adapter.axios.interceptors.request.use((config) => {
      seen += 1;
      config.headers.set(mark, 'default');
      return config;
    });
    let global = 0;
    const id = axios.interceptors.request.use((config) => {
      global += 1;
      return config;
    });
    try {
      const url = await server.putFresh(content);
      server.resetCounters();
      const { bytes } = await withRemote(adapter, url, async (remote) => {
        const signal = new AbortController().signal;
        await remote.stat(signal);
        return { bytes: await collectBody((await remote.read({ start: 0, signal })).body) };
      });
      expect(bytes.equals(content)).toBe(true);
    } finally {
      axios.interceptors.request.eject(id);
    }
    expect(server.requests.length).toBeGreaterThan(0);
    for (const request of server.requests) expect(request.headers[mark]).toBe('default');
    expect(seen).toBe(server.requests.length);
    // Its own instance: what the application registers on axios's default export is not involved.
    expect(global).toBe(0);
    expect(adapter.axios).not.toBe(axios);
  });
});
