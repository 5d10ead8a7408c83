import { createServer } from 'node:net';
import { ErrorCode } from '@reget/core';
import { type FtpTestServer, failureOf, makeContent, startFtpServer } from '@reget/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFtpAdapter } from './adapter.js';

const password = 'pa55:w/rd@secret';
const signal = new AbortController().signal;
const context = { signal, connectTimeoutMs: 5_000 };

let server: FtpTestServer;

beforeAll(async () => {
  server = await startFtpServer({ user: 'alice', password });
  await server.putFile('/file.bin', makeContent(1000, 3));
  await server.putFile('/secret.bin', makeContent(1000, 4));
  server.denyRead('/secret.bin');
});
afterAll(async () => {
  await server.close();
});

/** Everything an error could show a user or a log: message, stack, and the same for each cause. */
function everythingSaid(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(String(current), (current as Error).stack ?? '', JSON.stringify(current) ?? '');
    current = (current as Error).cause;
  }
  return parts.join('\n');
}

describe('login', () => {
  it('logs in with percent-decoded credentials from the URL', async () => {
    const remote = await createFtpAdapter().open(new URL(server.url('/file.bin')), context);
    expect((await remote.stat(signal)).size).toBe(1000);
    await remote.close();
  });

  it('logs in with credentials from the options when the URL has none', async () => {
    const url = server.url('/file.bin').replace(/\/\/[^@]*@/, '//');
    const remote = await createFtpAdapter({ user: 'alice', password }).open(new URL(url), context);
    expect((await remote.stat(signal)).size).toBe(1000);
    await remote.close();
  });

  it('fails AUTH, not retryable, on 530, and never shows the password', async () => {
    // Characters a URL must percent-encode: neither the decoded nor the encoded form may show.
    const wrong = 'hunter2:wr/ng@pass';
    const url = server.url('/file.bin').replace(encodeURIComponent(password), encodeURIComponent(wrong));
    server.resetCounters();
    const error = await failureOf(createFtpAdapter().open(new URL(url), context));
    expect(error.code).toBe(ErrorCode.AUTH);
    expect(error.retryable).toBe(false);
    // The password really was sent (the server masks it in its log), so the error had it to leak.
    expect(server.commands()).toEqual(expect.arrayContaining(['USER alice', 'PASS ****']));
    const said = everythingSaid(error);
    expect(said).not.toContain(wrong);
    expect(said).not.toContain(encodeURIComponent(wrong));
  });

  it('names the user and host:port of a refused login, never the password', async () => {
    const wrong = 'hunter2-wrong';
    const url = new URL(server.url('/file.bin').replace(encodeURIComponent(password), wrong));
    const error = await failureOf(createFtpAdapter().open(url, context));
    expect(error.message).toContain('"alice"');
    expect(error.message).toContain(url.host);
    expect(error.message).not.toContain(wrong);
  });

  it('fails AUTH for an anonymous login to a server that wants a user', async () => {
    const url = server.url('/file.bin').replace(/\/\/[^@]*@/, '//');
    const error = await failureOf(createFtpAdapter().open(new URL(url), context));
    expect(error.code).toBe(ErrorCode.AUTH);
  });
});

describe('files', () => {
  it('fails NOT_FOUND, not retryable, on 550 for a missing file, from stat and from read', async () => {
    const remote = await createFtpAdapter().open(new URL(server.url('/missing.bin')), context);
    const fromStat = await failureOf(remote.stat(signal));
    const fromRead = await failureOf(remote.read({ start: 0, signal }));
    for (const error of [fromStat, fromRead]) {
      expect(error.code).toBe(ErrorCode.NOT_FOUND);
      expect(error.retryable).toBe(false);
    }
    await remote.close();
  });

  it('fails NOT_FOUND when the server has no SIZE and MDTM answers 550', async () => {
    server.setFaults({ noSize: true });
    const remote = await createFtpAdapter().open(new URL(server.url('/missing.bin')), context);
    expect((await failureOf(remote.stat(signal))).code).toBe(ErrorCode.NOT_FOUND);
    server.setFaults({});
    await remote.close();
  });

  it('fails PERMISSION when the 550 says permission denied', async () => {
    const remote = await createFtpAdapter().open(new URL(server.url('/secret.bin')), context);
    expect((await failureOf(remote.stat(signal))).code).toBe(ErrorCode.PERMISSION);
    await remote.close();
  });
});

describe('connecting (NET-02, NET-03)', () => {
  it('fails NETWORK, retryable, when the connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failureOf(createFtpAdapter().open(new URL(`ftp://127.0.0.1:${port}/f.bin`), context));
    expect(error.code).toBe(ErrorCode.NETWORK);
    expect(error.retryable).toBe(true);
  });

  it('fails TIMEOUT after connectTimeoutMs when the server never greets', async () => {
    server.setFaults({ silent: ['GREETING'] });
    const started = Date.now();
    const error = await failureOf(
      createFtpAdapter().open(new URL(server.url('/file.bin')), { signal, connectTimeoutMs: 200 }),
    );
    server.setFaults({});
    expect(error.code).toBe(ErrorCode.TIMEOUT);
    expect(error.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails ABORTED promptly when the signal fires while connecting', async () => {
    server.setFaults({ silent: ['GREETING'] });
    const controller = new AbortController();
    const pending = createFtpAdapter().open(new URL(server.url('/file.bin')), {
      signal: controller.signal,
      connectTimeoutMs: 30_000,
    });
    controller.abort();
    const error = await failureOf(pending);
    server.setFaults({});
    expect(error.code).toBe(ErrorCode.ABORTED);
  });

  it('fails ABORTED when stat is aborted while waiting for a reply', async () => {
    const remote = await createFtpAdapter().open(new URL(server.url('/file.bin')), context);
    server.setFaults({ silent: ['SIZE'] });
    const controller = new AbortController();
    const asked = server.waitForCommand('SIZE');
    const pending = remote.stat(controller.signal);
    await asked;
    controller.abort();
    const error = await failureOf(pending);
    server.setFaults({});
    expect(error.code).toBe(ErrorCode.ABORTED);
    await remote.close();
  });

  it('fails BAD_INPUT for a URL without a file name', async () => {
    const error = await failureOf(
      createFtpAdapter().open(new URL(`ftp://127.0.0.1:${server.port}/`), context),
    );
    expect(error.code).toBe(ErrorCode.BAD_INPUT);
  });
});
