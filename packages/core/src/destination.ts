import { constants } from 'node:fs';
import { access, lstat, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, localError, RegetError } from './errors.js';

/** The files that belong to one destination. */
export interface DestinationPaths {
  readonly destination: string;
  readonly partial: string;
  readonly journal: string;
  readonly lock: string;
  readonly corrupt: string;
}

export function destinationPaths(destination: string): DestinationPaths {
  return {
    destination,
    partial: `${destination}.part`,
    journal: `${destination}.reget`,
    lock: `${destination}.reget.lock`,
    corrupt: `${destination}.corrupt`,
  };
}

/** What is at a path: nothing, a regular file, or something reget must not touch. */
export type PathKind = 'missing' | 'file' | 'other';

export async function pathKind(path: string): Promise<PathKind> {
  try {
    const stats = await lstat(path);
    return stats.isFile() ? 'file' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw localError(error, 'inspect', path);
  }
}

/**
 * Checks, before any network traffic, that the destination can be written (FAULTS LOC-02, LOC-03):
 * its directory exists and is writable, and nothing but a regular file sits at the paths reget uses.
 * Parent directories are never created.
 */
export async function checkDestination(paths: DestinationPaths): Promise<void> {
  const directory = dirname(paths.destination);
  try {
    const stats = await stat(directory);
    if (!stats.isDirectory()) {
      throw new RegetError(
        ErrorCode.LOCAL_IO,
        `Cannot write ${paths.destination}: ${directory} is not a directory.`,
      );
    }
    await access(directory, constants.W_OK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RegetError(
        ErrorCode.LOCAL_IO,
        `Cannot write ${paths.destination}: the directory ${directory} does not exist.`,
        { cause: error },
      );
    }
    throw localError(error, 'write into', directory);
  }
  for (const path of [paths.destination, paths.partial, paths.journal]) {
    if ((await pathKind(path)) === 'other') {
      throw new RegetError(
        ErrorCode.LOCAL_IO,
        `Cannot write ${path}: something other than a regular file (a directory, a link or a device) is there.`,
      );
    }
  }
}
