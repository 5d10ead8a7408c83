import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

/** What a served path names in a {@link DiskFolder}, from a `stat` made for this lookup. */
export type DiskEntry =
  | {
      readonly kind: 'file';
      readonly size: number;
      /** Modification time in ms since the epoch, with the file system's sub-millisecond part. */
      readonly mtimeMs: number;
      /** Inode number: a file replaced by rename has a new one even when size and time match. */
      readonly ino: number;
    }
  | { readonly kind: 'directory' };

/** A regular file of a {@link DiskFolder}, opened for reading; the caller closes `handle`. */
export interface DiskOpenFile {
  readonly handle: FileHandle;
  /** From `fstat` of the open handle, so it describes the bytes this handle reads. */
  readonly stats: Stats;
}

// O_NOFOLLOW: a link swapped in after the check is not followed; O_NONBLOCK: a FIFO swapped in does
// not block the open (it is then refused as not a regular file).
const readFlags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * A folder served from disk by the embedded servers: every lookup is a fresh `stat`, so a file
 * changed, replaced or removed on disk is seen by the next request, and bytes are read at offsets
 * from an open handle, never held in memory. A served path (`/sub/file.bin`, already decoded) maps
 * to a path under the folder only when none of its parts is `..` or starts with a dot, and when no
 * part of it on disk is a symbolic link (its real path must be the path itself), so nothing outside
 * the folder is ever served; special files (FIFOs, devices, sockets) are not served either.
 */
export class DiskFolder {
  /** The folder's real path (links resolved once, at open). */
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  /** Opens `directory` for serving; rejects when it is not a readable folder. */
  static async open(directory: string): Promise<DiskFolder> {
    const root = await realpath(directory);
    if (!(await stat(root)).isDirectory()) throw new Error(`Not a folder: ${directory}`);
    return new DiskFolder(root);
  }

  /** The parts of a servable `path`, or undefined when it may not be served. */
  parts(path: string): string[] | undefined {
    const parts = path.split('/').filter((part) => part !== '');
    const isServable = parts.every(
      (part) => !part.startsWith('.') && !part.includes('\0') && !part.includes('\\'),
    );
    return isServable ? parts : undefined;
  }

  /** What `path` names now (a fresh `stat`), or undefined when it is absent or may not be served. */
  async stat(path: string): Promise<DiskEntry | undefined> {
    const file = await this.#locate(path);
    if (file === undefined) return undefined;
    const stats = await stat(file).catch(() => undefined);
    if (stats?.isDirectory()) return { kind: 'directory' };
    if (!stats?.isFile()) return undefined;
    return { kind: 'file', size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino };
  }

  /** Opens the regular file at `path` for reading, or undefined when it is absent or may not be served. */
  async open(path: string): Promise<DiskOpenFile | undefined> {
    const file = await this.#locate(path);
    if (file === undefined) return undefined;
    const handle = await open(file, readFlags).catch(() => undefined);
    if (handle === undefined) return undefined;
    const stats = await handle.stat().catch(() => undefined);
    if (stats?.isFile()) return { handle, stats };
    await handle.close();
    return undefined;
  }

  /** The absolute path of a servable `path` that exists and has no link in it, or undefined. */
  async #locate(path: string): Promise<string | undefined> {
    const parts = this.parts(path);
    if (parts === undefined) return undefined;
    const file = join(this.root, ...parts);
    if (file !== this.root && !file.startsWith(this.root + sep)) return undefined;
    const real = await realpath(file).catch(() => undefined);
    return real === file ? file : undefined;
  }
}
