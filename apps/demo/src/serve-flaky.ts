import { type ConformanceServer, seededRandom } from '@reget/testkit';

/** How often each server is given a new cut. */
const rearmIntervalMs = 1000;
const minimumCutBytes = 16 * 1024;

/**
 * `reget serve --flaky`: every second, each server is told to drop its next response after a
 * random number of bytes (from 16 KiB to 80% of the largest file), so a download sees a cut now and
 * then and must resume. The servers take faults per response, not per offset, so every response
 * still delivers some bytes and a download always makes progress. Seeded: the same seed gives the
 * same sequence of cut sizes (the timing of requests still varies).
 */
export function startFlakyFaults(
  servers: readonly ConformanceServer[],
  largestFileBytes: number,
  seed: number,
): { stop(): void } {
  const random = seededRandom(seed);
  const highest = Math.max(minimumCutBytes * 2, Math.floor(largestFileBytes * 0.8));
  const rearm = () => {
    for (const server of servers) {
      const dropAfterBytes = minimumCutBytes + Math.floor(random() * (highest - minimumCutBytes));
      server.setFaults({ dropAfterBytes, dropTimes: 1 });
    }
  };
  rearm();
  const timer = setInterval(rearm, rearmIntervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      for (const server of servers) server.setFaults({});
    },
  };
}
