/** One file held by the embedded FTP server. */
export interface FtpFile {
  readonly content: Uint8Array;
  /** Modification time in ms since the epoch, reported by MDTM. */
  readonly mtimeMs: number;
  /** When true, SIZE and RETR answer `550 Permission denied.` */
  readonly isUnreadable: boolean;
}

/** The in-memory file tree of the embedded FTP server, keyed by absolute path (`/dir/file.bin`). */
export class FtpFileStore {
  readonly #files = new Map<string, FtpFile>();

  get(path: string): FtpFile | undefined {
    return this.#files.get(path);
  }

  /**
   * Creates or replaces a file. A replacement always gets a modification time at least one second
   * later than the old one, so MDTM changes even on servers' whole-second resolution.
   */
  put(path: string, content: Uint8Array): void {
    const previous = this.#files.get(path);
    // A day back, as a file that was there before the download: a finished file that kept the time
    // of its own writing instead of the server's would then differ from MDTM.
    const now = Date.now() - 86_400_000;
    const mtimeMs = previous === undefined ? now : Math.max(now, previous.mtimeMs + 1000);
    this.#files.set(path, { content, mtimeMs, isUnreadable: false });
  }

  /** Makes SIZE and RETR of an existing file answer 550 "Permission denied". */
  denyRead(path: string): void {
    const file = this.#files.get(path);
    if (file === undefined) throw new Error(`No such file: ${path}`);
    this.#files.set(path, { ...file, isUnreadable: true });
  }
}

/** Resolves an FTP path argument against the working directory into a normalised absolute path. */
export function resolveFtpPath(cwd: string, argument: string): string {
  const joined = argument.startsWith('/') ? argument : `${cwd.replace(/\/$/, '')}/${argument}`;
  const parts: string[] = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** MDTM's `YYYYMMDDHHMMSS.sss` in UTC (RFC 3659 §2.3). */
export function formatMdtm(mtimeMs: number): string {
  const iso = new Date(mtimeMs).toISOString(); // 2026-01-02T03:04:05.678Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}.${iso.slice(20, 23)}`;
}
