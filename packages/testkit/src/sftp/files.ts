/** One file held by the embedded SFTP server. Mutable: shrinking it is seen by open handles. */
export interface SftpFile {
  content: Buffer;
  /** Modification time in whole seconds, as SFTP v3 ATTRS carry it. */
  mtime: number;
  isUnreadable: boolean;
}

/** The in-memory file tree of the embedded SFTP server, keyed by absolute path. */
export class SftpFileStore {
  readonly #files = new Map<string, SftpFile>();

  get(path: string): SftpFile | undefined {
    return this.#files.get(path);
  }

  /** True for `/`, and for every parent of a stored file. */
  isDirectory(path: string): boolean {
    if (path === '/') return true;
    const prefix = `${path}/`;
    for (const key of this.#files.keys()) if (key.startsWith(prefix)) return true;
    return false;
  }

  /**
   * Creates or replaces a file, as a new inode: handles opened before keep the old content. The
   * mtime moves at least one second forward, so size+mtime changes even at SFTP's 1 s resolution.
   */
  put(path: string, content: Uint8Array): void {
    const previous = this.#files.get(path);
    this.#files.set(path, {
      content: Buffer.from(content.buffer, content.byteOffset, content.byteLength),
      mtime: nextMtime(previous),
      isUnreadable: false,
    });
  }

  /** Truncates a file in place (open handles see it) and moves its mtime forward. */
  shrink(path: string, size: number): void {
    const file = this.#require(path);
    file.content = file.content.subarray(0, Math.min(size, file.content.length));
    file.mtime = nextMtime(file);
  }

  /** Appends to a file in place (open handles see it: a file growing while read) and moves its mtime forward. */
  append(path: string, bytes: Uint8Array): void {
    const file = this.#require(path);
    file.content = Buffer.concat([file.content, bytes]);
    file.mtime = nextMtime(file);
  }

  /** Makes OPEN answer SSH_FX_PERMISSION_DENIED; STAT still works, as for a mode 000 file. */
  denyRead(path: string): void {
    this.#require(path).isUnreadable = true;
  }

  #require(path: string): SftpFile {
    const file = this.#files.get(path);
    if (file === undefined) throw new Error(`No such file in the SFTP test server: ${path}`);
    return file;
  }
}

function nextMtime(previous: SftpFile | undefined): number {
  // A day back, as a file that was there before the download (see the FTP store).
  const now = Math.floor(Date.now() / 1000) - 86_400;
  return previous === undefined ? now : Math.max(now, previous.mtime + 1);
}

/** Resolves an SFTP path against the login directory into a normalised absolute path. */
export function resolveSftpPath(home: string, path: string): string {
  const joined = path.startsWith('/') ? path : `${home}/${path}`;
  const parts: string[] = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}
