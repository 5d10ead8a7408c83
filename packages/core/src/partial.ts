import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { ErrorCode, localError, RegetError } from './errors.js';

/** Which file a path or descriptor is: device and inode. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

/**
 * The partial file `<destination>.part`. Bytes are written at their offsets (never blindly
 * appended), through one descriptor opened without following symlinks (FAULTS SEC-06).
 */
export class PartialFile {
  readonly path: string;
  readonly #handle: FileHandle;

  private constructor(path: string, handle: FileHandle) {
    this.path = path;
    this.#handle = handle;
  }

  /** Opens (and with `create`, creates) the partial; refuses symlinks and non-regular files. */
  static async open(path: string, create: boolean): Promise<PartialFile> {
    const flags = constants.O_RDWR | constants.O_NOFOLLOW | (create ? constants.O_CREAT : 0);
    let handle: FileHandle;
    try {
      handle = await open(path, flags, 0o644);
    } catch (error) {
      throw localError(error, 'open', path);
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) {
        throw new RegetError(ErrorCode.LOCAL_IO, `Cannot write ${path}: it is not a regular file.`);
      }
      const uid = process.getuid?.();
      if (uid !== undefined && uid !== 0 && stats.uid !== uid) {
        throw new RegetError(ErrorCode.LOCAL_IO, `Cannot resume ${path}: it belongs to another user.`);
      }
    } catch (error) {
      await handle.close();
      throw localError(error, 'open', path);
    }
    return new PartialFile(path, handle);
  }

  async size(): Promise<number> {
    try {
      return (await this.#handle.stat()).size;
    } catch (error) {
      throw localError(error, 'stat', this.path);
    }
  }

  /** Writes all of `bytes` at `position`. */
  async write(bytes: Uint8Array, position: number): Promise<void> {
    let written = 0;
    try {
      while (written < bytes.length) {
        const result = await this.#handle.write(bytes, written, bytes.length - written, position + written);
        written += result.bytesWritten;
      }
    } catch (error) {
      throw localError(error, `write at offset ${position + written} of`, this.path);
    }
  }

  /** Writes `chunks` back to back from `position` in one system call where it can (no copy to join them). */
  async writev(chunks: readonly Uint8Array[], position: number): Promise<void> {
    if (chunks.length === 1) return this.write(chunks[0]!, position);
    let written = 0;
    try {
      written = (await this.#handle.writev(chunks as Uint8Array[], position)).bytesWritten;
    } catch (error) {
      throw localError(error, `write at offset ${position} of`, this.path);
    }
    // A short writev (rare: a signal, a full disk) finishes chunk by chunk.
    let offset = 0;
    for (const chunk of chunks) {
      const end = offset + chunk.length;
      if (end > written)
        await this.write(chunk.subarray(Math.max(0, written - offset)), position + Math.max(offset, written));
      offset = end;
    }
  }

  /** Reads up to `length` bytes at `position` (fewer at end of file). */
  async readAt(position: number, length: number): Promise<Uint8Array> {
    const buffer = Buffer.alloc(length);
    let filled = 0;
    try {
      while (filled < length) {
        const { bytesRead } = await this.#handle.read(buffer, filled, length - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
    } catch (error) {
      throw localError(error, 'read', this.path);
    }
    return buffer.subarray(0, filled);
  }

  async truncate(length: number): Promise<void> {
    try {
      await this.#handle.truncate(length);
    } catch (error) {
      throw localError(error, 'truncate', this.path);
    }
  }

  /** Gives the file the remote's modification time, through the descriptor; a refusal is ignored. */
  async stampModifiedTime(modifiedAt: Date | undefined): Promise<void> {
    if (modifiedAt === undefined || Number.isNaN(modifiedAt.getTime())) return;
    await this.#handle.utimes(new Date(), modifiedAt).catch(() => undefined);
  }

  /** Device and inode: which file this descriptor is, whatever its path now names. */
  async identity(): Promise<FileIdentity> {
    try {
      const { dev, ino } = await this.#handle.stat();
      return { dev, ino };
    } catch (error) {
      throw localError(error, 'stat', this.path);
    }
  }

  /** Flushes data to the device (before the journal claims it, and before the final rename). */
  async sync(): Promise<void> {
    try {
      await this.#handle.datasync();
    } catch (error) {
      throw localError(error, 'flush', this.path);
    }
  }

  async close(): Promise<void> {
    await this.#handle.close().catch(() => undefined);
  }
}
