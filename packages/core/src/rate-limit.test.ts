import { afterEach, describe, expect, it, vi } from 'vitest';
import { RateLimiter } from './rate-limit.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Whether `promise` has settled once the timers due by now have run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  await vi.advanceTimersByTimeAsync(0);
  return settled;
}

describe('the rate limit', () => {
  it('paces bytes to the rate', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const limiter = new RateLimiter(1000);
    const signal = new AbortController().signal;
    const first = limiter.take(2000, signal);
    await vi.advanceTimersByTimeAsync(1990);
    expect(await isSettled(first)).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    expect(await isSettled(first)).toBe(true);
  });

  it('does not save up a long pause (a retry wait) for a burst above the rate', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const limiter = new RateLimiter(1000);
    const signal = new AbortController().signal;
    const first = limiter.take(1000, signal);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await isSettled(first)).toBe(true);
    // Ten seconds without reading, as during a retry's backoff: 10,000 bytes of credit unless capped.
    await vi.advanceTimersByTimeAsync(10_000);
    const afterPause = limiter.take(3000, signal);
    // At most a quarter second of catching up: 3,000 bytes still take 2.75 s.
    await vi.advanceTimersByTimeAsync(2700);
    expect(await isSettled(afterPause)).toBe(false);
    await vi.advanceTimersByTimeAsync(50);
    expect(await isSettled(afterPause)).toBe(true);
  });
});
