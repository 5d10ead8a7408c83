import type { SFTPWrapper, Stats } from 'ssh2';
import { ReceiveWindow } from './receive-window.js';

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
 * Window top-ups wait for this much used window: one small packet per MiB, as often as ssh2's own.
 * Topping up every 128 KiB measured about 7 % more CPU per download on loopback, for no gain.
 */
const windowRefillBytes = 1024 * 1024;

/**
 * One SFTP channel, with ssh2's callbacks turned into promises. Errors are ssh2's own (an SFTP
 * status error carries the numeric status `code`); the caller classifies them.
 *
 * A borrowed session is the caller's (the one their ssh2-sftp-client `Client` holds): `end()` never
 * closes it. reget only stops using it, and closes the file handles it opened once the requests it
 * left in flight have been answered, so the channel stays as the caller had it.
 */
export class SftpSession {
  readonly #sftp: SFTPWrapper;
  readonly #isBorrowed: boolean;
  #isClosed = false;
  readonly #onClosed = () => {
    this.#isClosed = true;
  };
  /** Borrowed only: handles reget opened and has not closed, and requests still unanswered. */
  readonly #handles = new Set<Buffer>();
  #pending = 0;
  /** Set once a read asks for more window than ssh2 grants; undefined with an unknown ssh2. */
  #window: ReceiveWindow | undefined;

  constructor(sftp: SFTPWrapper, isBorrowed = false) {
    this.#sftp = sftp;
    this.#isBorrowed = isBorrowed;
    // 'end' comes first, when ssh2 fails the pending requests; a request sent after it would be
    // dropped silently by ssh2 and never answered.
    sftp.on('end', this.#onClosed);
    sftp.on('close', this.#onClosed);
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

  /**
   * Lets the server send at least `bytes` of replies before reget acknowledges any (the SSH
   * channel window, see receive-window.ts), and keeps it topped up as READ replies arrive.
   */
  widenReceiveWindow(bytes: number): void {
    if (this.#isClosed) return;
    this.#window ??= ReceiveWindow.of(this.#sftp);
    this.#window?.widen(bytes);
  }

  stat(path: string): Promise<FileAttributes> {
    return this.#track(
      new Promise((resolve, reject) => {
        this.#call(reject, () =>
          this.#sftp.stat(path, (error, stats) => (error ? reject(error) : resolve(attributesOf(stats)))),
        );
      }),
    );
  }

  open(path: string): Promise<Buffer> {
    return this.#track(
      new Promise((resolve, reject) => {
        this.#call(reject, () =>
          this.#sftp.open(path, 'r', (error, handle) => {
            if (error) return reject(error);
            if (this.#isBorrowed) this.#handles.add(handle);
            resolve(handle);
          }),
        );
      }),
    );
  }

  fstat(handle: Buffer): Promise<FileAttributes> {
    return this.#track(
      new Promise((resolve, reject) => {
        this.#call(reject, () =>
          this.#sftp.fstat(handle, (error, stats) => (error ? reject(error) : resolve(attributesOf(stats)))),
        );
      }),
    );
  }

  /**
   * One READ at `offset` (§6.4). Resolves with the bytes the server sent, which may be fewer than
   * `length` (a short read), or none at end of file (SSH_FX_EOF).
   */
  read(handle: Buffer, offset: number, length: number): Promise<Buffer> {
    return this.#track(
      new Promise((resolve, reject) => {
        const buffer = Buffer.allocUnsafe(length);
        this.#call(reject, () =>
          this.#sftp.read(handle, buffer, 0, length, offset, (error, bytesRead) => {
            // A reply arrived: the window it used is granted again, once a MiB of it was used.
            this.#window?.refill(windowRefillBytes);
            // ssh2 reports SSH_FX_EOF as a successful read of 0 bytes.
            if (error) return reject(error);
            if (bytesRead === 0) return resolve(emptyBuffer);
            resolve(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
          }),
        );
      }),
    );
  }

  closeHandle(handle: Buffer): Promise<void> {
    this.#handles.delete(handle);
    return this.#track(
      new Promise((resolve, reject) => {
        this.#call(reject, () => this.#sftp.close(handle, (error) => (error ? reject(error) : resolve())));
      }),
    );
  }

  /**
   * Closes the channel without waiting; pending requests fail. A borrowed channel stays open: reget
   * stops using it and closes its own handles once nothing it asked for is pending.
   */
  end(): void {
    this.#isClosed = true;
    if (!this.#isBorrowed) {
      this.#sftp.end();
      return;
    }
    this.#sftp.removeListener('end', this.#onClosed);
    this.#sftp.removeListener('close', this.#onClosed);
    this.#closeOwnHandles();
  }

  /** Borrowed only: counts `promise` as pending until it settles. */
  #track<T>(promise: Promise<T>): Promise<T> {
    if (!this.#isBorrowed) return promise;
    this.#pending += 1;
    const settled = () => {
      this.#pending -= 1;
      this.#closeOwnHandles();
    };
    promise.then(settled, settled);
    return promise;
  }

  #closeOwnHandles(): void {
    if (!this.#isClosed || this.#pending > 0) return;
    for (const handle of this.#handles) {
      try {
        this.#sftp.close(handle, () => undefined);
      } catch {
        // The channel is gone, and the handles with it.
      }
    }
    this.#handles.clear();
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
