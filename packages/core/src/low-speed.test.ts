import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createMemoryServer, failureOf, makeContent } from '@reget/testkit';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Adapter } from './contract.js';
import { download } from './download.js';
import { ErrorCode } from './errors.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'reget-low-speed-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** `adapter`, with every body sent 100 bytes at a time, 100 ms apart: a steady 1 000 B/s trickle. */
function trickling(adapter: Adapter): Adapter {
  return {
    ...adapter,
    async open(url, context) {
      const remote = await adapter.open(url, context);
      return {
        stat: (signal) => remote.stat(signal),
        async read(request) {
          const response = await remote.read(request);
          async function* slowly() {
            for await (const chunk of response.body) {
              for (let at = 0; at < chunk.length; at += 100) {
                await delay(100);
                yield chunk.subarray(at, at + 100);
              }
            }
          }
          return { ...response, body: slowly() };
        },
        close: () => remote.close(),
      };
    },
  };
}

// FAULTS NET-04: a trickle defeats an idle timeout (a byte arrives every 100 ms), not the low-speed
// limit. Every chunk passes through reget's own waits (the write buffer), which must not hide it.
it('aborts a steady trickle below the low-speed limit with TIMEOUT', async () => {
  const server = createMemoryServer();
  await server.putFile('/file.bin', makeContent(20_000, 3));
  const started = performance.now();
  const error = await failureOf(
    download({
      url: server.url('/file.bin'),
      destination: join(directory, 'file.bin'),
      adapters: [trickling(server.adapter)],
      retries: 0,
      lowSpeedLimit: { bytesPerSecond: 10_000, seconds: 2 },
    }),
  );
  expect(error.code).toBe(ErrorCode.TIMEOUT);
  expect(error.message).toContain('below 10000 bytes/s');
  // At 1 000 B/s the whole file would take 20 s; the guard's two-second window ends it long before.
  expect(performance.now() - started).toBeLessThan(15_000);
}, 30_000);
