import type { HttpServerOptions, HttpTestServer } from '@reget/testkit';
import { httpConformanceTarget } from '@reget/testkit';
import { type ConformanceTarget, runConformanceSuite } from '@reget/testkit/conformance';
import axios from 'axios';
import { afterAll, expect, it } from 'vitest';

// The whole conformance suite again, through a caller's axios instance whose request interceptor
// marks every request it sees. The servers' request logs are tallied before each reset: every
// request they received must carry the mark, so a client that went around the instance fails here.
const mark = 'x-reget-through-instance';
const tally = { intercepted: 0, answered: 0, received: 0, unmarked: 0 };

const instance = axios.create();
instance.interceptors.request.use((config) => {
  tally.intercepted += 1;
  config.headers.set(mark, String(tally.intercepted));
  return config;
});
instance.interceptors.response.use((response) => {
  tally.answered += 1;
  return response;
});

function throughInstance(options: HttpServerOptions): ConformanceTarget {
  const target = httpConformanceTarget({ ...options, adapterOptions: { axios: instance } });
  return {
    ...target,
    name: `${target.name} through an axios instance`,
    async start() {
      const server = (await target.start()) as HttpTestServer;
      const count = () => {
        for (const request of [...server.requests, ...server.secondOrigin.requests]) {
          tally.received += 1;
          if (request.headers[mark] === undefined) tally.unmarked += 1;
        }
      };
      return {
        adapter: server.adapter,
        url: (path) => server.url(path),
        unauthorizedUrl: (path) => server.unauthorizedUrl(path),
        putFile: (path, content) => server.putFile(path, content),
        setFaults: (faults) => server.setFaults(faults),
        bytesSent: () => server.bytesSent(),
        transferStarts: () => server.transferStarts(),
        resetCounters() {
          count();
          server.resetCounters();
        },
        async close() {
          count();
          await server.close();
        },
      };
    },
  };
}

runConformanceSuite(throughInstance({}));
runConformanceSuite(throughInstance({ tls: true }));

it('sent every request the servers received through the instance', () => {
  expect(tally.received).toBeGreaterThan(100);
  expect(tally.unmarked).toBe(0);
  // Aborted requests may be intercepted and never arrive; no request may arrive unintercepted.
  expect(tally.intercepted).toBeGreaterThanOrEqual(tally.received);
  expect(tally.answered).toBeGreaterThan(0);
});

afterAll(() => {
  instance.interceptors.request.clear();
  instance.interceptors.response.clear();
});
