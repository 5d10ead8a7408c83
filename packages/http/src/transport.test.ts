import { createServer, type Server, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { type Adapter, ErrorCode, type RegetError } from '@reget/core';
import {
  failureOf,
  type HttpTestServer,
  makeContent,
  rawResponse,
  readBytes,
  startHttpServer,
  withRemote,
} from '@reget/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpAdapter } from './adapter.js';

const content = makeContent(100, 13);
let plain: HttpTestServer;
let secure: HttpTestServer;

function stat(adapter: Adapter, url: string, connectTimeoutMs?: number) {
  return withRemote(adapter, url, (remote) => remote.stat(new AbortController().signal), connectTimeoutMs);
}

async function readAll(adapter: Adapter, url: string): Promise<Buffer> {
  return (await readBytes(adapter, url)).bytes;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

beforeAll(async () => {
  [plain, secure] = await Promise.all([startHttpServer(), startHttpServer({ tls: true })]);
  await Promise.all([plain.putFile('/file.bin', content), secure.putFile('/file.bin', content)]);
});
afterAll(() => Promise.all([plain.close(), secure.close()]));
beforeEach(() => {
  plain.setFaults({});
  plain.resetCounters();
});

describe('TLS (FAULTS SEC-05)', () => {
  it('verifies the certificate by default: a self-signed one is TLS, not retryable', async () => {
    const error = await failureOf(stat(createHttpAdapter(), secure.url('/file.bin')));
    expect(error.code).toBe(ErrorCode.TLS);
    expect(error.retryable).toBe(false);
  });

  it('still verifies with NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment', async () => {
    const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      expect((await failureOf(stat(createHttpAdapter(), secure.url('/file.bin')))).code).toBe(ErrorCode.TLS);
    } finally {
      if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
    }
  });

  it('trusts a given CA, and refuses another one', async () => {
    expect(
      (await readAll(createHttpAdapter({ ca: secure.certificate }), secure.url('/file.bin'))).equals(content),
    ).toBe(true);
    const other = await startHttpServer({ tls: true });
    try {
      const error = await failureOf(
        stat(createHttpAdapter({ ca: other.certificate }), secure.url('/file.bin')),
      );
      expect(error.code).toBe(ErrorCode.TLS);
    } finally {
      await other.close();
    }
  });

  it('names the certificate problem in the message, for a front end to suggest a remedy', async () => {
    const error = await failureOf(stat(createHttpAdapter(), secure.url('/file.bin')));
    expect(error.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('https:// to a plain HTTP port: PROTOCOL, not retryable, suggesting http://', async () => {
    const url = plain.url('/file.bin').replace(/^http:/, 'https:');
    const error = await failureOf(stat(createHttpAdapter(), url));
    expect(error.code).toBe(ErrorCode.PROTOCOL);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('http://');
  });

  it('skips verification only when asked, and says so', async () => {
    const adapter = createHttpAdapter({ insecure: true });
    expect(adapter.isInsecure).toBe(true);
    expect(createHttpAdapter().isInsecure).toBe(false);
    expect((await readAll(adapter, secure.url('/file.bin'))).equals(content)).toBe(true);
  });
});

describe('connections (FAULTS NET-02, NET-03)', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    if (silent?.listening) await new Promise((resolve) => silent.close(resolve));
  });

  it('gives up connecting after the connect timeout: TIMEOUT, retryable', async () => {
    // Accepts TCP but never speaks TLS: the handshake is what times out.
    silent = createServer((socket) => sockets.add(socket));
    const port = await listen(silent);
    const started = Date.now();
    const error = await failureOf(stat(createHttpAdapter(), `https://127.0.0.1:${port}/file.bin`, 200));
    expect(error.code).toBe(ErrorCode.TIMEOUT);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('0.2 s');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports a refused connection as retryable NETWORK', async () => {
    silent = createServer();
    const port = await listen(silent);
    await new Promise((resolve) => silent.close(resolve));
    const error = await failureOf(stat(createHttpAdapter(), `http://127.0.0.1:${port}/file.bin`));
    expect(error.code).toBe(ErrorCode.NETWORK);
    expect(error.retryable).toBe(true);
    // Core's connection wording, which lets it fail at once on a typo'd port.
    expect(error.details).toMatchObject({ connectFailure: 'refused', socketCode: 'ECONNREFUSED' });
  });

  it('reports an empty reply as retryable NETWORK, not as a failure to connect', async () => {
    plain.setFaults({ raw: () => '' });
    const error = await failureOf(readAll(plain.adapter, plain.url('/file.bin')));
    expect(error.code).toBe(ErrorCode.NETWORK);
    expect(error.details.connectFailure).toBeUndefined();
  });
});

describe('header floods (FAULTS SEC-07)', () => {
  it.each([
    ['300 KB of headers', Array.from({ length: 3000 }, (_, index) => `X-Flood-${index}: ${'a'.repeat(90)}`)],
    ['5001 small headers', Array.from({ length: 5001 }, () => 'X-A: b')],
    ['one 1 MB header line', [`X-Long: ${'b'.repeat(1024 * 1024)}`]],
  ])('refuses %s with PROTOCOL', async (_, headers) => {
    plain.setFaults({ raw: () => rawResponse('200 OK', [...headers, 'Content-Length: 1'], 'a') });
    const error = await failureOf(readAll(plain.adapter, plain.url('/file.bin')));
    expect(error.code).toBe(ErrorCode.PROTOCOL);
    expect(error.retryable).toBe(false);
  });
});

describe('credentials', () => {
  it('sends percent-decoded URL credentials as basic auth', async () => {
    const server = await startHttpServer({ auth: { username: 'a@b', password: 'p:ss%wörd' } });
    try {
      await server.putFile('/file.bin', content);
      expect(server.url('/file.bin')).toContain('a%40b');
      expect((await readAll(server.adapter, server.url('/file.bin'))).equals(content)).toBe(true);
      const wrong = server.unauthorizedUrl('/file.bin');
      expect(wrong).toBeDefined();
      expect((await failureOf(readAll(server.adapter, wrong ?? ''))).code).toBe(ErrorCode.AUTH);
    } finally {
      await server.close();
    }
  });

  it('never puts a URL password in an error, whatever fails', async () => {
    const password = 'hunter2-Pw';
    const secret = (url: string) => {
      const parsed = new URL(url);
      parsed.username = 'someone';
      parsed.password = password;
      return parsed.href;
    };
    const encoded = Buffer.from(`someone:${password}`).toString('base64');
    const closed = createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['not found', () => readAll(plain.adapter, secret(plain.url('/missing.bin')))],
      ['tls', () => stat(createHttpAdapter(), secret(secure.url('/file.bin')))],
      ['refused', () => stat(createHttpAdapter(), secret(`http://127.0.0.1:${port}/`))],
      [
        'redirect loop',
        async () => {
          plain.setFaults({ redirect: { to: 'loop' } });
          return readAll(plain.adapter, secret(plain.url('/file.bin')));
        },
      ],
      [
        'bad framing',
        async () => {
          plain.setFaults({ raw: () => rawResponse('200 OK', ['Content-Length: -6'], '') });
          return readAll(plain.adapter, secret(plain.url('/file.bin')));
        },
      ],
    ];
    for (const [name, run] of cases) {
      const error = await failureOf(run());
      const text = `${error.message}\n${inspect(error, { depth: 8 })}`;
      expect(text.includes(password), name).toBe(false);
      expect(text.includes(encoded), name).toBe(false);
    }
  });
});

describe('proxies from the environment', () => {
  const names = ['HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];
  const saved = new Map<string, string | undefined>();
  beforeEach(() => {
    for (const name of names) {
      saved.set(name, process.env[name]);
      delete process.env[name];
    }
  });
  afterEach(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('goes through HTTP_PROXY for a remote host', async () => {
    process.env.HTTP_PROXY = plain.origin;
    const body = await readAll(plain.adapter, 'http://reget-proxy-test.invalid/file.bin');
    expect(body.equals(content)).toBe(true);
    expect(plain.requests.at(-1)?.isProxied).toBe(true);
  });

  it('honours NO_PROXY', async () => {
    process.env.HTTP_PROXY = plain.origin;
    process.env.NO_PROXY = 'example.org,reget-proxy-test.invalid';
    const error = await failureOf(
      stat(createHttpAdapter(), 'http://reget-proxy-test.invalid/file.bin', 2_000),
    );
    expect([ErrorCode.NETWORK, ErrorCode.TIMEOUT]).toContain(error.code);
    expect(plain.requests.length).toBe(0);
  });

  it('never sends loopback traffic through a proxy', async () => {
    const dead = createServer();
    const port = await listen(dead);
    await new Promise((resolve) => dead.close(resolve));
    process.env.HTTP_PROXY = `http://127.0.0.1:${port}`;
    expect((await readAll(plain.adapter, plain.url('/file.bin'))).equals(content)).toBe(true);
    expect(plain.requests.at(-1)?.isProxied).toBe(false);
  });
});

describe('options', () => {
  it.each([
    [{ headers: { Range: 'bytes=0-' } }],
    [{ headers: { 'Accept-Encoding': 'gzip' } }],
    [{ headers: { 'bad name': 'x' } }],
    [{ headers: { 'X-Ok': 'a\r\nInjected: 1' } }],
    [{ maxRedirects: -1 }],
    [{ headTimeoutMs: 1.5 }],
  ])('refuses %j with BAD_INPUT', (options) => {
    try {
      createHttpAdapter(options);
    } catch (error) {
      expect((error as RegetError).code).toBe(ErrorCode.BAD_INPUT);
      return;
    }
    throw new Error('expected BAD_INPUT');
  });

  it('declares its schemes and capabilities', () => {
    const adapter = createHttpAdapter();
    expect(adapter.name).toBe('http');
    expect(adapter.schemes).toEqual(['http', 'https']);
    expect(adapter.capabilities).toEqual({ ranges: true, segments: true, probesWithRead: true });
  });
});
