import { ErrorCode } from '@reget/core';
import { failureOf, withRemote } from '@reget/testkit';
import { describe, expect, it } from 'vitest';
import { useHttpServer } from '../test/http-fixture.js';

const { server, content, fresh, read, readError } = useHttpServer();

describe('error answers (FAULTS NET-06)', () => {
  it.each([
    [404, ErrorCode.NOT_FOUND, false],
    [410, ErrorCode.NOT_FOUND, false],
    [401, ErrorCode.AUTH, false],
    [403, ErrorCode.PERMISSION, false],
    [408, ErrorCode.NETWORK, true],
    [429, ErrorCode.NETWORK, true],
    [500, ErrorCode.NETWORK, true],
    [502, ErrorCode.NETWORK, true],
    [503, ErrorCode.NETWORK, true],
    [504, ErrorCode.NETWORK, true],
    [501, ErrorCode.NETWORK, false],
    [418, ErrorCode.PROTOCOL, false],
  ])('classifies %i', async (status, code, retryable) => {
    const url = await fresh();
    server().setFaults({ errorPage: { status } });
    const error = await readError(url, { start: 40 });
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
  });

  it.each([404, 410])('reports %i as NOT_FOUND from the range probe too, never retried', async (status) => {
    const url = await fresh();
    server().setFaults({ head: 405, rangeProbeStatus: status });
    const error = await failureOf(
      withRemote(server().adapter, url, (remote) => remote.stat(new AbortController().signal)),
    );
    expect(error.code).toBe(ErrorCode.NOT_FOUND);
    expect(error.retryable).toBe(false);
  });

  it('passes Retry-After on, in seconds or as a date', async () => {
    const url = await fresh();
    server().setFaults({ errorPage: { status: 500, retryAfter: '7' } });
    expect((await readError(url, { start: 40 })).retryAfterMs).toBe(7000);
    server().setFaults({
      errorPage: { status: 503, retryAfter: new Date(Date.now() + 60_000).toUTCString() },
    });
    const delay = (await readError(url, { start: 40 })).retryAfterMs ?? 0;
    expect(delay).toBeGreaterThan(55_000);
    expect(delay).toBeLessThanOrEqual(60_000);
  });

  it('reports a 200 of junk as what it is, for core to refuse', async () => {
    const url = await fresh();
    server().setFaults({ errorPage: { status: 200, body: 'X'.repeat(30), times: 1 } });
    const junk = await read(url, { start: 40 });
    expect(junk).toMatchObject({ start: 0, total: 30 });
    expect((await read(url, { start: 40 })).bytes.equals(content.subarray(40))).toBe(true);
  });
});
