import { ErrorCode, RegetError } from '@reget/core';
import { describe, expect, it } from 'vitest';
import { ExitCode, exitCodeFor, worstExitCode } from '../src/exit-codes.js';

describe('exitCodeFor', () => {
  const expected: Record<ErrorCode, number> = {
    BAD_INPUT: 2,
    LOCAL_IO: 3,
    LOCKED: 3,
    EXISTS: 3,
    NETWORK: 4,
    TIMEOUT: 4,
    PARTIAL: 4,
    TLS: 5,
    HOST_KEY: 5,
    AUTH: 6,
    NOT_FOUND: 7,
    PERMISSION: 7,
    PROTOCOL: 7,
    RANGE_NOT_SUPPORTED: 7,
    CHECKSUM: 8,
    REMOTE_CHANGED: 8,
    ABORTED: 130,
  };

  it('maps every error code to the exit code the issue documents', () => {
    // Iterating core's table means a new error code without an exit code fails here.
    for (const code of Object.values(ErrorCode)) {
      expect({ code, exit: exitCodeFor(new RegetError(code, 'x.')) }).toEqual({ code, exit: expected[code] });
    }
  });

  it('gives 1 to an error nothing classified', () => {
    expect(exitCodeFor(new Error('boom'))).toBe(ExitCode.INTERNAL);
    expect(exitCodeFor('boom')).toBe(1);
  });
});

describe('worstExitCode', () => {
  it('is 0 for no files or only successes', () => {
    expect(worstExitCode([])).toBe(0);
    expect(worstExitCode([0, 0])).toBe(0);
  });

  it('is the highest code among several files', () => {
    expect(worstExitCode([0, 4, 7, 3])).toBe(7);
    expect(worstExitCode([8, 2])).toBe(8);
  });

  it('is 130 whenever the run was interrupted, whatever else failed', () => {
    expect(worstExitCode([8, 130, 0])).toBe(130);
  });
});
