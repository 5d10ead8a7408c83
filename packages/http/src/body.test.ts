import { ErrorCode, RegetError } from '@reget/core';
import { makeContent, rawForGet, rawResponse, withRemote } from '@reget/testkit';
import { describe, expect, it } from 'vitest';
import { useHttpServer } from '../test/http-fixture.js';

const { server, fresh, read, readError } = useHttpServer();

describe('bodies (FAULTS HTTP-12, HTTP-13, NET-01, NET-05)', () => {
  it('ends a chunked body on its last chunk, with the length unknown', async () => {
    const url = await fresh(makeContent(50_000, 9));
    server().setFaults({ chunked: true });
    const response = await read(url, { start: 0 });
    expect(response).toMatchObject({ start: 0, end: undefined, total: undefined });
    expect(response.bytes.equals(makeContent(50_000, 9))).toBe(true);
  });

  it('makes a chunked body without its last chunk PARTIAL', async () => {
    const url = await fresh(makeContent(50_000, 9));
    server().setFaults({ chunked: true, dropAfterBytes: 20_000 });
    expect((await readError(url, { start: 0 })).code).toBe(ErrorCode.PARTIAL);
  });

  it('reads an empty file as an empty 200', async () => {
    const url = await fresh(new Uint8Array(0));
    const response = await read(url, { start: 0 });
    expect(response).toMatchObject({ start: 0, end: 0, total: 0 });
    expect(response.bytes.length).toBe(0);
  });

  it.each([0, 1, 511, 512, 513, 99_999])(
    'hands out every byte before a drop at %i, then PARTIAL',
    async (cut) => {
      const whole = makeContent(100_000, 4);
      const url = await fresh(whole);
      server().setFaults({ dropAfterBytes: cut });
      const received: Uint8Array[] = [];
      const error = await withRemote(server().adapter, url, async (remote) => {
        const response = await remote.read({ start: 0, signal: new AbortController().signal });
        try {
          for await (const chunk of response.body) received.push(chunk);
        } catch (failure) {
          return failure as RegetError;
        }
        throw new Error('expected the body to fail');
      });
      expect(error.code).toBe(ErrorCode.PARTIAL);
      expect(error.retryable).toBe(true);
      expect(Buffer.concat(received).equals(whole.subarray(0, cut))).toBe(true);
    },
  );

  it('never hands out bytes past the declared span', async () => {
    const url = await fresh();
    const chunked = '14\r\nabcdefghijklmnopqrst\r\n0\r\n\r\n';
    server().setFaults(
      rawForGet(
        `HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 40-49/100\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`,
      ),
    );
    const received: Uint8Array[] = [];
    const error = await withRemote(server().adapter, url, async (remote) => {
      const response = await remote.read({ start: 40, signal: new AbortController().signal });
      try {
        for await (const chunk of response.body) received.push(chunk);
      } catch (failure) {
        return failure as RegetError;
      }
      throw new Error('expected the body to fail');
    });
    expect(error.code).toBe(ErrorCode.PROTOCOL);
    expect(Buffer.concat(received).length).toBeLessThanOrEqual(10);
  });

  it('stops at Content-Length when more follows', async () => {
    const url = await fresh();
    server().setFaults(rawForGet(rawResponse('200 OK', ['Content-Length: 3'], 'abcdefgh')));
    expect((await read(url, { start: 0 })).bytes.toString()).toBe('abc');
  });

  it('ends an HTTP/1.0 body without a length at the close, with the total unknown (HTTP-02)', async () => {
    const url = await fresh();
    server().setFaults(rawForGet('HTTP/1.0 200 OK\r\n\r\nabcdef'));
    const response = await read(url, { start: 40 });
    expect(response).toMatchObject({ start: 0, end: undefined, total: undefined });
    expect(response.bytes.toString()).toBe('abcdef');
  });

  it('makes a close-delimited 206 shorter than its span PARTIAL', async () => {
    const url = await fresh();
    server().setFaults(
      rawForGet(rawResponse('206 Partial Content', ['Content-Range: bytes 40-99/100'], 'short')),
    );
    expect((await readError(url, { start: 40 })).code).toBe(ErrorCode.PARTIAL);
  });
});

describe('abort', () => {
  it('ends a stalled body promptly with ABORTED, or with the signal’s own RegetError', async () => {
    const url = await fresh(makeContent(200_000, 2));
    server().setFaults({ stallAfterBytes: 1000 });
    for (const reason of [undefined, new RegetError(ErrorCode.TIMEOUT, 'No data for 1 s.')]) {
      const controller = new AbortController();
      const error = await withRemote(server().adapter, url, async (remote) => {
        const response = await remote.read({ start: 0, signal: controller.signal });
        try {
          for await (const _ of response.body) controller.abort(reason);
        } catch (failure) {
          return failure as RegetError;
        }
        throw new Error('expected the body to fail');
      });
      expect(error.code).toBe(reason === undefined ? ErrorCode.ABORTED : ErrorCode.TIMEOUT);
    }
  });

  it('closes the connection on abort, without waiting for the remote to be closed', async () => {
    const url = await fresh(makeContent(200_000, 2));
    await server().whenConnectionsClosed();
    server().setFaults({ stallAfterBytes: 1000 });
    const controller = new AbortController();
    await withRemote(server().adapter, url, async (remote) => {
      const response = await remote.read({ start: 0, signal: controller.signal });
      const iterator = response.body[Symbol.asyncIterator]();
      await iterator.next();
      expect(server().openConnections()).toBe(1);
      controller.abort();
      await server().whenConnectionsClosed();
      await expect(iterator.next()).rejects.toMatchObject({ code: ErrorCode.ABORTED });
    });
  }, 5_000);

  it('rejects a read at once when the signal is already aborted', async () => {
    const url = await fresh();
    const controller = new AbortController();
    controller.abort();
    expect((await readError(url, { start: 0, signal: controller.signal })).code).toBe(ErrorCode.ABORTED);
  });

  it('refuses an impossible range with BAD_INPUT', async () => {
    const url = await fresh();
    expect((await readError(url, { start: 10, end: 10 })).code).toBe(ErrorCode.BAD_INPUT);
    expect((await readError(url, { start: -1 })).code).toBe(ErrorCode.BAD_INPUT);
  });
});
