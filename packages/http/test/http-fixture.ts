import type { ReadRequest } from '@reget/core';
import { failureOf, type HttpTestServer, makeContent, readBytes, startHttpServer } from '@reget/testkit';
import { afterAll, beforeAll, beforeEach } from 'vitest';

/**
 * One embedded HTTP server for a test file: started before its tests, cleared of faults and
 * counters before each, closed after; plus the reads most adapter tests make against it.
 */
export function useHttpServer() {
  let current: HttpTestServer | undefined;
  const server = (): HttpTestServer => {
    if (!current) throw new Error('the HTTP test server is not started yet');
    return current;
  };
  beforeAll(async () => {
    current = await startHttpServer();
  });
  afterAll(() => current?.close());
  beforeEach(() => {
    server().setFaults({});
    server().resetCounters();
  });
  const content = makeContent(100, 5);
  const read = (url: string, request: Partial<ReadRequest> = {}) => readBytes(server().adapter, url, request);
  return {
    server,
    content,
    fresh: (body: Uint8Array = content) => server().putFresh(body),
    read,
    readError: (url: string, request: Partial<ReadRequest> = {}) => failureOf(read(url, request)),
  };
}
