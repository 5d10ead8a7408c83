import { describe, expect, it } from 'vitest';
import { ErrorCode, RegetError } from './errors.js';
import { RetryBudget, retryDelay } from './retry.js';

const plain = new RegetError(ErrorCode.NETWORK, 'Connection reset.');
const hinted = (ms: number) => new RegetError(ErrorCode.NETWORK, 'Busy.', { retryAfterMs: ms });

describe('retryDelay', () => {
  it('doubles from the base, with full jitter between half and the whole step', () => {
    for (const [failures, step] of [
      [1, 500],
      [2, 1000],
      [3, 2000],
      [6, 16_000],
    ] as const) {
      expect(retryDelay(failures, 500, plain, () => 0)).toBe(step / 2);
      expect(retryDelay(failures, 500, plain, () => 0.999_999)).toBe(step);
    }
  });

  it('stays within its bounds for any random value and any failure count', () => {
    for (const failures of [0, 1, 2, 10, 60, 2000]) {
      for (const random of [0, 0.25, 0.5, 0.999]) {
        const delay = retryDelay(failures, 500, plain, () => random);
        expect(delay).toBeGreaterThanOrEqual(250);
        expect(delay).toBeLessThanOrEqual(30_000);
        expect(Number.isSafeInteger(delay)).toBe(true);
      }
    }
    expect(retryDelay(2000, 500, plain, () => 0)).toBe(15_000);
  });

  it('waits zero with a zero base', () => {
    expect(retryDelay(3, 0, plain)).toBe(0);
  });

  it('honours a longer Retry-After hint, capped at five minutes, and ignores a shorter one', () => {
    expect(retryDelay(1, 10, hinted(50), () => 0.5)).toBe(50);
    expect(retryDelay(1, 10, hinted(3_600_000), () => 0.5)).toBe(300_000);
    expect(retryDelay(3, 1000, hinted(5), () => 0)).toBe(2000);
  });
});

describe('RetryBudget', () => {
  it('allows `limit` failures in a row without progress, then gives up', () => {
    const budget = new RetryBudget(2);
    expect(budget.fail(false)).toBe(1);
    expect(budget.fail(false)).toBe(2);
    expect(budget.fail(false)).toBeUndefined();
  });

  it('starts counting again after an attempt that made progress', () => {
    const budget = new RetryBudget(2);
    expect(budget.fail(false)).toBe(1);
    expect(budget.fail(false)).toBe(2);
    expect(budget.fail(true)).toBe(1);
    expect(budget.fail(false)).toBe(2);
    for (let index = 0; index < 10; index++) expect(budget.fail(true)).toBe(1);
  });

  it('resets after a successful attempt', () => {
    const budget = new RetryBudget(1);
    expect(budget.fail(false)).toBe(1);
    budget.succeed();
    expect(budget.fail(false)).toBe(1);
  });

  it('gives up on the first failure with a limit of zero', () => {
    expect(new RetryBudget(0).fail(false)).toBeUndefined();
    expect(new RetryBudget(0).fail(true)).toBeUndefined();
  });
});
