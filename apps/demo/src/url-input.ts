import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { ErrorCode, RegetError, redactUrl } from '@reget/core';
import { assertSupportedScheme } from './adapters.js';
import { escapeControl } from './messages.js';

/**
 * The URLs a run downloads: from the command line and from `-i file` (one file per line, its mirrors
 * after tabs; blank lines and lines starting with `#` are skipped; `-` reads standard input).
 */

/** One URL of an input file, with where it stands, so a bad line can be named. */
export interface InputLine {
  readonly text: string;
  /** `file:line`, e.g. `urls.txt:12` (`-:12` for standard input). */
  readonly where: string;
}

const readFailures: Record<string, string> = {
  ENOENT: 'it does not exist',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
};

/** Reads the URLs listed in an input file. Throws BAD_INPUT when it cannot be read. */
export async function readInputFile(path: string, stdin: NodeJS.ReadableStream): Promise<InputLine[]> {
  const lines: InputLine[] = [];
  for await (const line of readInputLines(path, stdin)) lines.push(line);
  return lines;
}

/**
 * The URLs listed in an input file, one at a time as they are read: a list of any length is never
 * held whole, and the first URL is known before the last line is read. Throws BAD_INPUT (while
 * iterating) when the file cannot be read.
 */
export async function* readInputLines(path: string, stdin: NodeJS.ReadableStream): AsyncGenerator<InputLine> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let number = 0;
  try {
    const chunks: AsyncIterable<Buffer | string> =
      path === '-' ? stdin : (await open(path)).createReadStream();
    for await (const chunk of chunks) {
      pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? '';
      for (const line of lines) {
        number += 1;
        const input = inputLineOf(line, path, number);
        if (input) yield input;
      }
    }
  } catch (cause) {
    if (cause instanceof RegetError) throw cause;
    const reason = readFailures[(cause as NodeJS.ErrnoException).code ?? ''] ?? 'it cannot be read';
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `Cannot read the input file ${escapeControl(path)}: ${reason}.`,
      {
        cause,
      },
    );
  }
  const last = inputLineOf(pending + decoder.end(), path, number + 1);
  if (last) yield last;
}

/** One line of an input file, or undefined for a blank line or a `#` comment. */
function inputLineOf(line: string, path: string, number: number): InputLine | undefined {
  const trimmed = line.trim();
  return trimmed === '' || trimmed.startsWith('#')
    ? undefined
    : { text: trimmed, where: `${path}:${number}` };
}

/**
 * The URLs of one input line: several separated by tabs are mirrors of one file (aria2's
 * convention), the first one naming it.
 */
export function parseInputSources(line: InputLine): URL[] {
  const fields = line.text
    .split('\t')
    .map((field) => field.trim())
    .filter((field) => field !== '');
  // Only URLs between the tabs make a list of mirrors: a tab inside one URL (a password typed
  // with one) leaves the line one URL, so no piece of it is shown as if it were a URL of its own.
  const isMirrorList = fields.length > 1 && fields.every((field) => /^[a-z][a-z0-9+.-]*:\/\//i.test(field));
  return isMirrorList ? fields.map((field) => parseInputUrl(line, field)) : [parseInputUrl(line, line.text)];
}

/** The first URL of an input line (the one that names the file); see {@link parseInputSources}. */
export function parseInputLine(line: InputLine): URL {
  return parseInputSources(line)[0] ?? parseInputUrl(line, line.text);
}

/** {@link parseUserUrl} for a URL of an input file: a bad one is named by file and line number. */
function parseInputUrl(line: InputLine, text: string): URL {
  try {
    return parseUserUrl(text);
  } catch (error) {
    if (!(error instanceof RegetError)) throw error;
    throw new RegetError(error.code, `${escapeControl(line.where)}: ${error.message}`, {
      cause: error.cause,
      retryable: error.retryable,
      details: error.details,
    });
  }
}

/**
 * Parses a URL a user typed and checks reget handles its scheme. Throws BAD_INPUT naming the URL
 * without its credentials.
 */
export function parseUserUrl(input: string): URL {
  if (lacksScheme(input)) {
    // `alice:secret@host/x` would parse as scheme "alice:" and be echoed whole: drop what precedes
    // the last @, since a password may itself hold one (`alice:p@ss@host/x`).
    const shown = input.trim().replace(/^.*@/s, '');
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `${escapeControl(shown)} has no scheme; add http:// (or ftp://, sftp://) in front of it.`,
    );
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch (cause) {
    throw new RegetError(ErrorCode.BAD_INPUT, `Not a valid URL: ${escapeControl(redactUrl(input))}.`, {
      cause,
    });
  }
  assertSupportedScheme(url, redactUrl(url));
  if (url.hostname === '') {
    throw new RegetError(ErrorCode.BAD_INPUT, `The URL ${redactUrl(url)} names no host.`);
  }
  return url;
}

/**
 * Whether `input` looks like a host and path typed without a scheme, as curl and wget accept them:
 * `example.com/x`, `127.0.0.1:8080/x` (not a URL at all), `localhost:8080/x` (which WHATWG URL
 * parsing would read as scheme `localhost:`) or `user:password@host/x`. Those get a hint instead
 * of "unknown scheme".
 */
function lacksScheme(input: string): boolean {
  const text = input.trim();
  if (!text.includes('://') && /^[^\s/@]*@/.test(text)) return true;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(text)) return /^[\w.-]+(:\d+)?(\/|$)/.test(text);
  return /^[\w.-]+:\d+(\/|$)/.test(text);
}
