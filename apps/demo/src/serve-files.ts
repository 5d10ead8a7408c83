import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, RegetError } from '@reget/core';

/** One file of the served folder, as it was when serve started. */
export interface ServedFile {
  /** Path on the servers, `/` separated, starting with `/` (e.g. `/sub/file.bin`). */
  readonly path: string;
  readonly size: number;
}

/** What {@link listServedFolder} found. */
export interface ServedFolder {
  readonly files: readonly ServedFile[];
  readonly totalBytes: number;
  /** Dot files and folders, links and special files left out. */
  readonly skipped: number;
}

/**
 * Lists every regular file under `directory` (recursively) with its size, for the banner; no file
 * is read. Dot files and dot folders are left out, as are symbolic links and special files: the
 * servers refuse them too (testkit's DiskFolder), so nothing outside the folder is served. Throws
 * LOCAL_IO when the folder cannot be read.
 */
export async function listServedFolder(directory: string): Promise<ServedFolder> {
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
        const { size } = await stat(file).catch((cause: unknown) => {
          throw new RegetError(ErrorCode.LOCAL_IO, `Cannot read ${file}.`, { cause });
        });
        totalBytes += size;
        files.push({ path, size });
      }
    }
  };
  await visit(directory, '');
  return { files, totalBytes, skipped };
}
