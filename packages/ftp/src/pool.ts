import type { FtpConnection } from './connection.js';

/** How many idle control connections a pool keeps, and for how long. */
export interface PoolSettings {
  /** Idle logged-in control connections kept per key. */
  readonly maxIdlePerHost: number;
  /** How long an idle connection is kept, in ms; undefined keeps it until `close()`. */
  readonly idleTimeoutMs: number | undefined;
}

interface Idle {
  readonly connection: FtpConnection;
  readonly timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Idle logged-in control connections, per key (host, port, TLS mode, user, password), for the
 * remotes of one adapter. basic-ftp runs one command or transfer at a time per connection, so a
 * connection is lent to one read at a time and comes back only after a clean end (226 with the
 * right byte count, or a probe that got its answers); one that failed, timed out or was aborted is
 * closed by its user and never given back.
 */
export class FtpPool {
  readonly #settings: PoolSettings;
  readonly #idle = new Map<string, Idle[]>();

  constructor(settings: PoolSettings) {
    this.#settings = settings;
  }

  /** The most recently used idle connection for `key` that is still open, or undefined. */
  take(key: string): FtpConnection | undefined {
    const list = this.#idle.get(key);
    for (let idle = list?.pop(); idle !== undefined; idle = list?.pop()) {
      if (idle.timer !== undefined) clearTimeout(idle.timer);
      // Closed while idle (the server's idle timeout, a 421): basic-ftp saw the FIN.
      if (!idle.connection.client.closed) {
        idle.connection.client.ftp.socket.ref();
        return idle.connection;
      }
    }
    return undefined;
  }

  /** Keeps a connection that ended its last operation cleanly, within the cap; closes it otherwise. */
  give(key: string, connection: FtpConnection): void {
    const list = this.#idle.get(key) ?? [];
    if (connection.client.closed || list.length >= this.#settings.maxIdlePerHost) {
      connection.client.close();
      return;
    }
    const { idleTimeoutMs } = this.#settings;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (idleTimeoutMs !== undefined) {
      timer = setTimeout(() => this.#expire(key, connection), idleTimeoutMs);
      // An idle connection must not keep the process alive.
      timer.unref();
    }
    // Idle, it must not keep the process alive, as Node's keep-alive agents do with idle sockets.
    connection.client.ftp.socket.unref();
    list.push({ connection, timer });
    this.#idle.set(key, list);
  }

  /** Closes every idle connection. The pool can be used again afterwards. */
  async close(): Promise<void> {
    const lists = [...this.#idle.values()];
    this.#idle.clear();
    for (const list of lists) {
      for (const { connection, timer } of list) {
        if (timer !== undefined) clearTimeout(timer);
        connection.client.close();
      }
    }
  }

  #expire(key: string, connection: FtpConnection): void {
    const list = this.#idle.get(key);
    const index = list?.findIndex((idle) => idle.connection === connection) ?? -1;
    if (list === undefined || index < 0) return;
    list.splice(index, 1);
    if (list.length === 0) this.#idle.delete(key);
    connection.client.close();
  }
}
