import { untilAborted } from './abort.js';
import type { Connected, SshConnection } from './connection.js';
import { SftpSession } from './session.js';

/** How many SSH connections a pool keeps, and for how long. */
export interface PoolSettings {
  /** SSH connections kept per key while none of their channels is in use. */
  readonly maxIdlePerHost: number;
  /** How long a connection with no channel in use is kept, in ms; undefined keeps it until `close()`. */
  readonly idleTimeoutMs: number | undefined;
  /** SFTP channels open at once on one SSH connection (in use or idle). */
  readonly maxChannelsPerConnection: number;
}

/** One SFTP channel handed out by the pool, and the SSH connection it runs on. */
export interface Lease {
  readonly connection: SshConnection;
  readonly session: SftpSession;
  /** True when the SSH connection was already logged in before this lease (it may have died idle). */
  readonly isReused: boolean;
}

/** How a lease comes back. */
export type LeaseOutcome =
  /** The channel has nothing pending and may serve another read. */
  | 'reusable'
  /** The channel was aborted or failed: end it; the SSH connection stays usable. */
  | 'end-channel'
  /** The SSH connection itself is suspect (a stall ran into a timeout): hand it out no more. */
  | 'retire-connection';

interface Member {
  readonly connection: SshConnection;
  readonly idle: SftpSession[];
  /** Channels handed out, plus channels being opened. */
  busy: number;
  isRetired: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Logged-in SSH connections and their SFTP channels, kept per key (host, port, user, credentials)
 * for the remotes of one adapter. A channel goes back only when its read ended cleanly; a
 * connection that failed, was closed by the server or timed out is never handed out again. While
 * a key's first connection is being made, other callers wait for it instead of logging in too.
 */
export class SshPool {
  readonly #settings: PoolSettings;
  readonly #members = new Map<string, Member[]>();
  readonly #connecting = new Map<string, Promise<unknown>>();

  constructor(settings: PoolSettings) {
    this.#settings = settings;
  }

  /**
   * A channel for `key`: an idle one, a new one on a logged-in connection with room for it, or the
   * first one of a connection `connect` makes. `fresh` skips every connection made before.
   */
  async acquire(
    key: string,
    connect: (signal: AbortSignal) => Promise<Connected>,
    signal: AbortSignal,
    fresh = false,
  ): Promise<Lease> {
    for (;;) {
      if (!fresh) {
        const leased = await this.#fromMembers(key, signal);
        if (leased !== undefined) return leased;
        const pending = this.#connecting.get(key);
        if (pending !== undefined) {
          // Another caller is logging in to the same place: share its connection once it is up.
          await untilAborted(
            pending.then(
              () => undefined,
              () => undefined,
            ),
            signal,
          );
          continue;
        }
      }
      const connecting = connect(signal);
      if (!fresh) this.#connecting.set(key, connecting);
      let connected: Connected;
      try {
        connected = await connecting;
      } finally {
        if (this.#connecting.get(key) === connecting) this.#connecting.delete(key);
      }
      const { connection, sftp } = connected;
      const member: Member = { connection, idle: [], busy: 1, isRetired: false, timer: undefined };
      this.#list(key).push(member);
      return { connection, session: new SftpSession(sftp, connection.isBorrowed), isReused: false };
    }
  }

  /** Gives a lease back: its channel is kept for the next read, or ended, as `outcome` says. */
  release(key: string, lease: Lease, outcome: LeaseOutcome): void {
    const member = this.#members.get(key)?.find((candidate) => candidate.connection === lease.connection);
    if (member === undefined) {
      lease.session.end();
      return;
    }
    member.busy -= 1;
    if (outcome === 'retire-connection') member.isRetired = true;
    if (outcome === 'reusable' && !lease.session.isClosed && this.#isUsable(member)) {
      member.idle.push(lease.session);
    } else {
      lease.session.end();
    }
    if (member.busy === 0) this.#settle(key, member);
  }

  /**
   * Ends every idle connection; connections in use end when their last channel comes back. The
   * pool can be used again: it then makes new connections.
   */
  async close(): Promise<void> {
    for (const [key, members] of this.#members) {
      for (const member of [...members]) {
        member.isRetired = true;
        if (member.busy === 0) this.#drop(key, member);
      }
    }
  }

  async #fromMembers(key: string, signal: AbortSignal): Promise<Lease | undefined> {
    const members = this.#list(key);
    for (const member of [...members]) {
      if (!this.#isUsable(member)) {
        if (member.busy === 0) this.#drop(key, member);
        continue;
      }
      for (let session = member.idle.pop(); session !== undefined; session = member.idle.pop()) {
        if (session.isClosed) continue;
        this.#take(member);
        return { connection: member.connection, session, isReused: true };
      }
    }
    const roomy = members.find(
      (member) =>
        this.#isUsable(member) && member.busy + member.idle.length < this.#settings.maxChannelsPerConnection,
    );
    if (roomy === undefined) return undefined;
    this.#take(roomy);
    try {
      const sftp = await roomy.connection.openSftp(signal);
      return { connection: roomy.connection, session: new SftpSession(sftp), isReused: true };
    } catch (error) {
      roomy.busy -= 1;
      if (roomy.busy === 0) this.#settle(key, roomy);
      throw error;
    }
  }

  #take(member: Member): void {
    if (member.busy === 0) member.connection.holdsProcess(true);
    member.busy += 1;
    if (member.timer !== undefined) clearTimeout(member.timer);
    member.timer = undefined;
  }

  #isUsable(member: Member): boolean {
    return !member.isRetired && member.connection.failure === undefined;
  }

  /** A connection with no channel in use: kept (within the cap, for the idle timeout) or ended. */
  #settle(key: string, member: Member): void {
    const idleMembers = this.#list(key).filter((candidate) => candidate.busy === 0 && candidate !== member);
    if (!this.#isUsable(member) || idleMembers.length >= this.#settings.maxIdlePerHost) {
      this.#drop(key, member);
      return;
    }
    member.connection.holdsProcess(false);
    const { idleTimeoutMs } = this.#settings;
    if (idleTimeoutMs === undefined) return;
    member.timer = setTimeout(() => this.#drop(key, member), idleTimeoutMs);
    // An idle connection must not keep the process alive.
    member.timer.unref();
  }

  #drop(key: string, member: Member): void {
    if (member.timer !== undefined) clearTimeout(member.timer);
    member.timer = undefined;
    for (const session of member.idle.splice(0)) session.end();
    member.connection.close();
    const members = this.#list(key);
    const index = members.indexOf(member);
    if (index >= 0) members.splice(index, 1);
    if (members.length === 0) this.#members.delete(key);
  }

  #list(key: string): Member[] {
    let members = this.#members.get(key);
    if (members === undefined) {
      members = [];
      this.#members.set(key, members);
    }
    return members;
  }
}
