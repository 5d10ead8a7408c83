import { RegetError } from '@reget/core';
import { expect } from 'vitest';

/** What a parser did with one input: returned a value, or refused it with a RegetError. */
export type ParseOutcome<T> = { readonly value: T } | { readonly error: RegetError };

// Far above what any parser needs for 10,000 characters, even on a busy machine: a parse this slow
// is a regular expression backtracking out of control, which left alone would hang the run.
const slowParseMs = 1_000;

/**
 * Runs `parse` and returns its value, or the RegetError it threw after checking that its message
 * is fit for a user: one non-empty line, no stack trace, and none of `secrets`. Any other throw
 * (a TypeError, a RangeError from a regular expression) fails the property with that error, and
 * so does a parse that takes more than a second.
 */
export function outcomeOf<T>(parse: () => T, secrets: readonly string[] = []): ParseOutcome<T> {
  const started = performance.now();
  try {
    return { value: parse() };
  } catch (error) {
    expectUserMessage(error, secrets);
    return { error: error as RegetError };
  } finally {
    expectQuick(performance.now() - started);
  }
}

/** {@link outcomeOf} for a parser that returns a promise. */
export async function outcomeOfAsync<T>(
  parse: () => Promise<T>,
  secrets: readonly string[] = [],
): Promise<ParseOutcome<T>> {
  const started = performance.now();
  try {
    return { value: await parse() };
  } catch (error) {
    expectUserMessage(error, secrets);
    return { error: error as RegetError };
  } finally {
    expectQuick(performance.now() - started);
  }
}

function expectQuick(elapsedMs: number): void {
  expect(elapsedMs, `a parse that took ${Math.round(elapsedMs)} ms`).toBeLessThan(slowParseMs);
}

// The control characters that end a line in a terminal or a log file. (U+2028 and U+2029 are left
// out: terminals show them in place, and the CLI escapes control characters the same way.)
const lineBreak = /[\n\r\v\f\u0085]/;
// A V8 stack frame, `at name (file:line:column)` or `at file:line:column`.
const stackFrame = /\bat (?:\S+ \()?\S+:\d+:\d+\)?/;

/** Checks that `error` is a RegetError whose message is one clean line holding none of `secrets`. */
export function expectUserMessage(error: unknown, secrets: readonly string[] = []): void {
  if (!(error instanceof RegetError)) throw error;
  const { message } = error;
  expect(message.trim(), 'an empty message').not.toBe('');
  expect(lineBreak.test(message), `a message on more than one line: ${JSON.stringify(message)}`).toBe(false);
  expect(stackFrame.test(message), `a stack trace in the message: ${JSON.stringify(message)}`).toBe(false);
  for (const secret of secrets) {
    expect(message.includes(secret), `a secret in the message: ${JSON.stringify(message)}`).toBe(false);
  }
}
