import fc from 'fast-check';
import { expect } from 'vitest';

// Every property test of a parser of untrusted input starts from one fixed seed, so `npm test` is
// reproducible, and a failure prints the seed, the path of the shrunk counterexample and the
// command that replays it.

/** The seed every property starts from (`REGET_PROPERTY_SEED`); change it to explore new inputs. */
export const propertySeed = Number(process.env.REGET_PROPERTY_SEED ?? 20261205);

// fast-check's own default. Every property file together then spends about 6 s generating and
// checking on a busy two-core machine (and as much again loading its modules); raise it to explore.
const propertyRuns = Number(process.env.REGET_PROPERTY_RUNS ?? 100);

// A hard cap per property so a slow machine shortens the search instead of timing the suite out.
// A longer exploration (REGET_PROPERTY_RUNS) lifts it up to vitest's own 30-second test timeout.
const timeLimitMs = process.env.REGET_PROPERTY_RUNS === undefined ? 2_000 : 25_000;

/**
 * fast-check parameters for `fc.assert`: the shared seed, `REGET_PROPERTY_RUNS` runs (100 by
 * default), a time cap, and a report that says how to replay a failure. `REGET_PROPERTY_PATH`
 * replays one shrunk counterexample; use it with `-t` so that only the failing property runs.
 */
export function propertyParameters<T>(overrides: fc.Parameters<T> = {}): fc.Parameters<T> {
  const path = process.env.REGET_PROPERTY_PATH;
  return {
    seed: propertySeed,
    numRuns: propertyRuns,
    interruptAfterTimeLimit: timeLimitMs,
    ...(path === undefined ? {} : { path }),
    reporter: reportFailure,
    ...overrides,
  };
}

function reportFailure<T>(details: fc.RunDetails<T>): void {
  if (!details.failed) return;
  const { currentTestName, testPath } = expect.getState();
  const file = testPath === undefined ? '<file>' : testPath.replace(`${process.cwd()}/`, '');
  const replay =
    `Replay it with: REGET_PROPERTY_SEED=${details.seed} ` +
    `REGET_PROPERTY_PATH=${details.counterexamplePath ?? ''} npx vitest run ${file} ` +
    `-t ${JSON.stringify(currentTestName?.split(' > ').at(-1) ?? '')}`;
  throw new Error(`${fc.defaultReportMessage(details)}\n\n${replay}`, { cause: details.errorInstance });
}
