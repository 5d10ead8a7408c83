import { lstat, mkdir, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { ErrorCode, escapeControl, RegetError } from '@reget/core';

function badDestination(destination: string, why: string): RegetError {
  return new RegetError(ErrorCode.BAD_INPUT, `The destination "${escapeControl(destination)}" ${why}.`);
}

/**
 * Checks a job's destination as text: relative to the root, `/`-separated, no `.` or `..`
 * segment, no empty segment, no control character, no drive letter or backslash. Returns its
 * segments.
 */
export function destinationSegments(destination: string): string[] {
  if (typeof destination !== 'string' || destination === '') throw badDestination('', 'is empty');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(destination))
    throw badDestination(destination, 'holds a control character');
  if (destination.startsWith('/') || isAbsolute(destination) || /^[a-zA-Z]:/.test(destination)) {
    throw badDestination(destination, 'must be relative to the root directory');
  }
  if (destination.includes('\\')) throw badDestination(destination, 'must use / between directories');
  const segments = destination.split('/');
  for (const segment of segments) {
    if (segment === '..') throw badDestination(destination, 'leaves the root directory (..)');
    if (segment === '' || segment === '.') throw badDestination(destination, 'has an empty or "." segment');
  }
  return segments;
}

function isInside(root: string, path: string): boolean {
  const rest = relative(root, path);
  return rest !== '' && !rest.startsWith(`..${sep}`) && rest !== '..' && !isAbsolute(rest);
}

/**
 * Resolves a job's destination inside `root`, creating its directories one by one, before any
 * byte moves: a directory that is a symlink leading out of the root is refused (one that stays
 * inside is followed). The file itself is opened by core without following symlinks.
 */
export async function prepareDestination(root: string, destination: string): Promise<string> {
  const segments = destinationSegments(destination);
  const realRoot = await realpath(root).catch(() => {
    throw new RegetError(ErrorCode.LOCAL_IO, `The root directory ${root} does not exist.`);
  });
  let directory = realRoot;
  for (const segment of segments.slice(0, -1)) {
    const next = join(directory, segment);
    const stats = await lstat(next).catch(() => undefined);
    if (stats === undefined) {
      await mkdir(next).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      directory = next;
      continue;
    }
    const resolved = stats.isSymbolicLink() ? await realpath(next) : next;
    if (!isInside(realRoot, resolved))
      throw badDestination(destination, 'leads out of the root directory through a symlink');
    // A race that swaps a directory for a symlink after this check is core's to catch: it opens
    // the partial with O_NOFOLLOW only, so at worst a file lands in the symlink's target directory.
    directory = resolved;
  }
  return join(directory, segments.at(-1) as string);
}
