import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { ErrorCode, RegetError, redactUrl } from '@reget/core';
import { assertSupportedScheme } from './adapters.js';

/**
 * The URLs a run downloads: from the command line and from `-i file` (one per line; blank lines and
 * lines starting with `#` are skipped; `-` reads standard input).
 */

/** Reads the URLs listed in an input file. Throws BAD_INPUT when it cannot be read. */
export async function readInputFile(path: string, stdin: NodeJS.ReadableStream): Promise<string[]> {
  let content: string;
  try {
    content = path === '-' ? await text(stdin) : await readFile(path, 'utf8');
  } catch (cause) {
    const reason =
      (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : 'it cannot be read';
    throw new RegetError(ErrorCode.BAD_INPUT, `Cannot read the input file ${path}: ${reason}.`, { cause });
  }
  return content
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Parses a URL a user typed and checks reget handles its scheme. Throws BAD_INPUT naming the URL
 * without its credentials.
 */
export function parseUserUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch (cause) {
    throw new RegetError(ErrorCode.BAD_INPUT, `Not a valid URL: ${redactUrl(input)}.`, { cause });
  }
  assertSupportedScheme(url, redactUrl(url));
  if (url.hostname === '') {
    throw new RegetError(ErrorCode.BAD_INPUT, `The URL ${redactUrl(url)} names no host.`);
  }
  return url;
}
