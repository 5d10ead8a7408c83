import type { DiskFolder } from '../disk/folder.js';
import type { HttpFileVersion } from './files.js';

/** A file to answer with: a stored version (with its content), or one on disk (content undefined). */
export interface ServedFile extends Pick<HttpFileVersion, 'tag' | 'mtime'> {
  readonly size: number;
  readonly content: Uint8Array | undefined;
  /** The directory `send` serves it from; undefined: the store's own. */
  readonly root?: string | undefined;
  readonly encodedPath: string;
}

/** The file of `folder` at `path`, from a fresh `stat`, or undefined when it is absent or not servable. */
export async function servedFromDisk(folder: DiskFolder, path: string): Promise<ServedFile | undefined> {
  const parts = folder.parts(path);
  const entry = await folder.stat(path);
  if (parts === undefined || entry?.kind !== 'file') return undefined;
  return {
    ...diskVersion(entry),
    size: entry.size,
    content: undefined,
    root: folder.root,
    // Re-encoded from the parts checked, so `send` resolves exactly the file that was looked at.
    encodedPath: `/${parts.map((part) => encodeURIComponent(part)).join('/')}`,
  };
}

/** What the version of a file on disk is named by: its inode, size and modification time. */
export interface DiskFileStats {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * The validators of a file served from disk, from a fresh `stat`: a strong ETag made of the inode,
 * the size and the modification time to the microsecond (as nginx makes one of size and time; the
 * inode also tells a file replaced by rename), and Last-Modified. A file rewritten in place with the
 * same size within the file system's time resolution would keep its ETag, as it would on nginx.
 */
export function diskVersion(stats: DiskFileStats): Pick<HttpFileVersion, 'tag' | 'mtime'> {
  const micros = Math.round(stats.mtimeMs * 1000);
  return {
    tag: `${stats.ino.toString(16)}-${stats.size.toString(16)}-${micros.toString(16)}`,
    mtime: new Date(Math.floor(stats.mtimeMs)),
  };
}
