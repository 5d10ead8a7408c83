import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One stored version of a file. */
export interface HttpFileVersion {
  readonly content: Uint8Array;
  /** Opaque tag without quotes or `W/`; changes whenever the file is replaced. */
  readonly tag: string;
  /** Whole seconds, strictly increasing per replacement, and well in the past (a strong date). */
  readonly mtime: Date;
}

/**
 * Files of the embedded HTTP server, on disk in a temporary directory so `send` can serve them
 * (with a gzip copy of each in a parallel tree, for the gzip fault), and in memory for the fault
 * answers that are written by hand.
 */
export class HttpFileStore {
  readonly root: string;
  readonly gzipRoot: string;
  readonly #base: string;
  readonly #versions = new Map<string, HttpFileVersion>();
  // A day back, so `Date` is always at least a second after `Last-Modified`.
  readonly #epochSeconds = Math.floor(Date.now() / 1000) - 86_400;
  #counter = 0;

  private constructor(base: string) {
    this.#base = base;
    this.root = join(base, 'files');
    this.gzipRoot = join(base, 'gzip');
  }

  static async create(): Promise<HttpFileStore> {
    return new HttpFileStore(await mkdtemp(join(tmpdir(), 'reget-http-')));
  }

  /** The current version of `path` (decoded, e.g. `/dir/file.bin`), if any. */
  get(path: string): HttpFileVersion | undefined {
    return this.#versions.get(path);
  }

  /** Creates or replaces `path`; the tag and modification time always change. */
  async put(path: string, content: Uint8Array): Promise<void> {
    if (!path.startsWith('/') || path.split('/').some((part) => part === '..' || part.startsWith('.'))) {
      throw new Error(`Not a servable path: ${path}`);
    }
    this.#counter += 1;
    const version = this.#counter;
    const mtime = new Date((this.#epochSeconds + version) * 1000);
    const hash = createHash('sha256').update(content).digest('hex').slice(0, 12);
    const copy = Uint8Array.from(content);
    await this.#write(join(this.root, path), copy, mtime, version);
    await this.#write(join(this.gzipRoot, path), gzipSync(copy), mtime, version);
    this.#versions.set(path, { content: copy, tag: `${hash}-${version}`, mtime });
  }

  /** Deletes the temporary directory. */
  async remove(): Promise<void> {
    await rm(this.#base, { recursive: true, force: true });
  }

  async #write(file: string, content: Uint8Array, mtime: Date, version: number): Promise<void> {
    await mkdir(dirname(file), { recursive: true });
    // Write-then-rename, so a response still streaming the old version keeps its own bytes.
    const temporary = join(dirname(file), `.${version}.tmp`);
    await writeFile(temporary, content);
    await utimes(temporary, mtime, mtime);
    await rename(temporary, file);
  }
}
