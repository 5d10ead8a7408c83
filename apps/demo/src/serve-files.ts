import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, RegetError } from '@reget/core';
import { formatBytes } from './human-units.js';

/** One file of the served folder. */
export interface ServedFile {
  /** Path on the servers, `/` separated, starting with `/` (e.g. `/sub/file.bin`). */
  readonly path: string;
  readonly content: Uint8Array;
}

/** What {@link readServedFolder} found. */
export interface ServedFolder {
  readonly files: readonly ServedFile[];
  readonly totalBytes: number;
  /** Dot files and folders, links and special files left out. */
  readonly skipped: number;
}

// testkit's servers hold every file in memory (the HTTP one also on disk, with a gzip copy).
const maximumTotalBytes = 1024 ** 3;

/**
 * Reads every regular file under `directory` (recursively) for the embedded servers, which serve
 * from memory. Dot files and dot folders are left out (the HTTP server refuses such paths), as are
 * symbolic links, so nothing outside the folder is served. Throws LOCAL_IO when the folder cannot
 * be read or holds more than 1 GiB.
 */
export async function readServedFolder(directory: string): Promise<ServedFolder> {
  const kind = await stat(directory).catch(() => undefined);
  if (!kind?.isDirectory()) {
    throw new RegetError(ErrorCode.LOCAL_IO, `${directory} is not a folder that can be served.`);
  }
  const files: ServedFile[] = [];
  let totalBytes = 0;
  let skipped = 0;
  const visit = async (folder: string, prefix: string): Promise<void> => {
    const entries: Dirent[] = await readdir(folder, { withFileTypes: true }).catch((cause: unknown) => {
      throw new RegetError(ErrorCode.LOCAL_IO, `Cannot read the folder ${folder}.`, { cause });
    });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = `${prefix}/${entry.name}`;
      if (entry.name.startsWith('.') || !(entry.isFile() || entry.isDirectory())) {
        skipped += 1;
      } else if (entry.isDirectory()) {
        await visit(join(folder, entry.name), path);
      } else {
        const file = join(folder, entry.name);
        const cannotRead = (cause: unknown) => {
          throw new RegetError(ErrorCode.LOCAL_IO, `Cannot read ${file}.`, { cause });
        };
        // Sizes first, so an oversized folder is refused before it fills the memory.
        totalBytes += (await stat(file).catch(cannotRead)).size;
        if (totalBytes > maximumTotalBytes) {
          throw new RegetError(
            ErrorCode.LOCAL_IO,
            `${directory} holds more than ${formatBytes(maximumTotalBytes)}; reget serve keeps the files in memory, so serve a smaller folder.`,
          );
        }
        files.push({ path, content: await readFile(file).catch(cannotRead) });
      }
    }
  };
  await visit(directory, '');
  return { files, totalBytes, skipped };
}
