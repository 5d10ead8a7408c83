import type { SFTPWrapper, Stats } from 'ssh2';

/** What the server said about a file (draft-ietf-secsh-filexfer-02 §5, ATTRS). */
export interface FileAttributes {
  /** Size in bytes, or undefined when the server left SSH_FILEXFER_ATTR_SIZE out. */
  readonly size: number | undefined;
  /** Modification time in seconds since the epoch, or undefined when left out. */
  readonly mtime: number | undefined;
  readonly isDirectory: boolean;
}

const emptyBuffer = Buffer.alloc(0);

/**
 * One SFTP channel, with ssh2's callbacks turned into promises. Errors are ssh2's own (an SFTP
 * status error carries the numeric status `code`); the caller classifies them.
 */
export class SftpSession {
  readonly #sftp: SFTPWrapper;
  #isClosed = false;

  constructor(sftp: SFTPWrapper) {
    this.#sftp = sftp;
    // 'end' comes first, when ssh2 fails the pending requests; a request sent after it would be
    // dropped silently by ssh2 and never answered.
    const onClosed = () => {
      this.#isClosed = true;
    };
    sftp.on('end', onClosed);
    sftp.on('close', onClosed);
  }

  /** True once the channel closed (either side); such a session is never reused. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /**
   * The largest READ ssh2 sends as one request to this server. ssh2 splits larger reads into
   * sequential requests, which would defeat pipelining, so reads are sized to this. It is private
   * in ssh2 (256 KiB − 2 KiB for OpenSSH, the `limits@openssh.com` value when offered, else 31 952
   * bytes, which is also the fallback should ssh2 rename it).
   */
  get maxRequestBytes(): number {
    const limit = (this.#sftp as unknown as { _maxReadLen?: unknown })._maxReadLen;
    return typeof limit === 'number' && Number.isSafeInteger(limit) && limit > 0 ? limit : 34_000 - 2_048;
  }

  stat(path: string): Promise<FileAttributes> {
    return new Promise((resolve, reject) => {
      this.#call(reject, () =>
        this.#sftp.stat(path, (error, stats) => (error ? reject(error) : resolve(attributesOf(stats)))),
      );
    });
  }

  open(path: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.#call(reject, () =>
        this.#sftp.open(path, 'r', (error, handle) => (error ? reject(error) : resolve(handle))),
      );
    });
  }

  fstat(handle: Buffer): Promise<FileAttributes> {
    return new Promise((resolve, reject) => {
      this.#call(reject, () =>
        this.#sftp.fstat(handle, (error, stats) => (error ? reject(error) : resolve(attributesOf(stats)))),
      );
    });
  }

  /**
   * One READ at `offset` (§6.4). Resolves with the bytes the server sent, which may be fewer than
   * `length` (a short read), or none at end of file (SSH_FX_EOF).
   */
  read(handle: Buffer, offset: number, length: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const buffer = Buffer.allocUnsafe(length);
      this.#call(reject, () =>
        this.#sftp.read(handle, buffer, 0, length, offset, (error, bytesRead) => {
          // ssh2 reports SSH_FX_EOF as a successful read of 0 bytes.
          if (error) return reject(error);
          if (bytesRead === 0) return resolve(emptyBuffer);
          resolve(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
        }),
      );
    });
  }

  closeHandle(handle: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#call(reject, () => this.#sftp.close(handle, (error) => (error ? reject(error) : resolve())));
    });
  }

  /** Closes the channel without waiting; pending requests fail. */
  end(): void {
    this.#isClosed = true;
    this.#sftp.end();
  }

  #call(reject: (error: unknown) => void, send: () => void): void {
    if (this.#isClosed) {
      reject(new Error('The SFTP channel is closed.'));
      return;
    }
    // ssh2 throws synchronously when the channel is already gone.
    try {
      send();
    } catch (error) {
      reject(error);
    }
  }
}

function attributesOf(stats: Stats): FileAttributes {
  const size: unknown = stats.size;
  const mtime: unknown = stats.mtime;
  return {
    size: typeof size === 'number' ? size : undefined,
    mtime: typeof mtime === 'number' ? mtime : undefined,
    isDirectory: stats.isDirectory(),
  };
}
