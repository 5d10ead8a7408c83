import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ErrorCode, localError, RegetError } from './errors.js';

/** A held lock; release it exactly once. */
export interface Lock {
  release(): Promise<void>;
}

/** How a lock names its holder's machine and how long its lease lasts. */
export interface LockOptions {
  /**
   * This machine's name as the other machines sharing the directory see it. Default
   * `os.hostname()`. A lock of the same host is judged by its pid; of another host, by its lease.
   */
  readonly host?: string | undefined;
  /**
   * How long a lock stays valid for other hosts without being renewed, in ms. The holder renews it
   * every third of that while it holds it. Default 60 000.
   */
  readonly leaseMs?: number | undefined;
}

/** Default lease: long enough for a loaded machine's renewals to arrive, short enough for a fleet. */
export const defaultLockLeaseMs = 60_000;

/** What a lock file says: `<pid> <host> <token> <lease expiry, ms since the epoch>`. */
interface Holder {
  readonly pid: number;
  readonly host: string;
  /** The first three fields: who holds it, whatever its expiry. */
  readonly identity: string;
  readonly leaseExpiresAt: number | undefined;
}

function parseHolder(text: string): Holder | undefined {
  const fields = text.trim().split(' ');
  const pid = Number(fields[0]);
  const host = fields[1];
  if (!Number.isSafeInteger(pid) || pid <= 0 || host === undefined || host === '') return undefined;
  const expiry = fields[3] === undefined ? undefined : Number(fields[3]);
  return {
    pid,
    host,
    identity: fields.slice(0, 3).join(' '),
    leaseExpiresAt: expiry !== undefined && Number.isSafeInteger(expiry) ? expiry : undefined,
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * Whether `pid` has exited but is not reaped yet (Linux: state Z in /proc/<pid>/stat). A reget
 * killed with SIGKILL stays a zombie until its parent waits for it, and a rerun started at once
 * must not take it for the live holder of the lock. Elsewhere (no /proc) nothing is known: false.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may hold spaces and parentheses: the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Whether a lock is empty, names a process of this machine that no longer runs, or names another
 * machine whose lease ran out. A pid means nothing on another machine, and that machine may be
 * gone for good (SIGKILL, power cut): its holder renews the lease while it downloads, so a lease
 * not renewed in time is a holder that stopped. A lock of another host without a lease (an older
 * reget) is never taken over.
 */
function isStale(text: string, host: string, now: number): boolean {
  // Locks are created whole, so an empty one is debris (an older reget, a full disk), not a taker at work.
  if (text === '') return true;
  const holder = parseHolder(text);
  if (holder === undefined) return false;
  if (holder.host === host) return !isAlive(holder.pid);
  return holder.leaseExpiresAt !== undefined && now > holder.leaseExpiresAt;
}

/**
 * Creates `path` holding `content` in one step: a complete temporary file is hard-linked into
 * place, which fails if `path` exists. No reader ever sees an empty or half-written lock.
 */
async function createWhole(path: string, content: string): Promise<boolean> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, content, { flag: 'wx', mode: 0o600 });
    await link(temporary, path);
    return true;
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return false;
    throw localError(error, 'create the lock', path);
  } finally {
    await rm(temporary, { force: true }).catch(() => undefined);
  }
}

/**
 * Removes a lock judged stale, atomically: it is renamed aside first, so of two processes that
 * judged the same lock stale only one moves it; if what was moved is not that stale lock (another
 * taker's fresh one), it is put back.
 */
async function takeOver(path: string, staleHolder: string): Promise<void> {
  const aside = `${path}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return;
    throw localError(error, 'take over the lock', path);
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  if (moved !== staleHolder) await link(aside, path).catch(() => undefined);
  await rm(aside, { force: true }).catch(() => undefined);
}

/**
 * Takes the exclusive lock `<path>` so two processes never write the same partial (FAULTS
 * LOC-04), on one machine or on many sharing a directory. A lock left by a process of this host
 * that died (kill -9) is taken over at once; one of another host once its lease expired. The lease
 * is renewed every `leaseMs / 3` until the lock is released; the lock is released only by its
 * owner. Machines sharing a directory need clocks that agree to well within `leaseMs / 3` (NTP).
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<Lock> {
  const host = options.host ?? hostname();
  const leaseMs = options.leaseMs ?? defaultLockLeaseMs;
  if (!/^[^\s]+$/.test(host)) throw new RegetError(ErrorCode.BAD_INPUT, 'A lock host name must be one word.');
  if (!Number.isSafeInteger(leaseMs) || leaseMs < 3) {
    throw new RegetError(ErrorCode.BAD_INPUT, 'The option lockLeaseMs must be a whole number of at least 3.');
  }
  const identity = `${process.pid} ${host} ${randomBytes(6).toString('hex')}`;
  const content = () => `${identity} ${Date.now() + leaseMs}\n`;
  const target = path.replace(/\.reget\.lock$/, '');
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createWhole(path, content())) return holdLease(path, identity, content, leaseMs);
    let holder: string;
    try {
      holder = await readFile(path, 'utf8');
    } catch (error) {
      if (codeOf(error) === 'ENOENT') continue;
      throw localError(error, 'read the lock', path);
    }
    if (!isStale(holder, host, Date.now())) {
      const parsed = parseHolder(holder);
      const who = parsed
        ? `process ${parsed.pid}${parsed.host === host ? '' : ` on ${parsed.host}`}`
        : 'another process';
      throw new RegetError(ErrorCode.LOCKED, `${target} is already being downloaded by ${who}.`, {
        details: parsed && {
          lockHolder: { pid: parsed.pid, host: parsed.host, leaseExpiresAt: parsed.leaseExpiresAt },
        },
      });
    }
    await takeOver(path, holder);
  }
  throw new RegetError(ErrorCode.LOCKED, `Cannot take the lock ${path}: other processes keep taking it.`);
}

/** Whether the lock at `path` is still the one `identity` created. */
async function isHeldBy(path: string, identity: string): Promise<boolean> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return parseHolder(text)?.identity === identity;
}

/**
 * Renews the lease of a held lock until it is released: a complete new lock is renamed over the
 * old one (atomic, so no reader sees it half-written), and only while the lock is still ours.
 */
function holdLease(path: string, identity: string, content: () => string, leaseMs: number): Lock {
  let isReleased = false;
  let renewing: Promise<void> = Promise.resolve();
  const renew = async () => {
    if (isReleased || !(await isHeldBy(path, identity))) return;
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, content(), { flag: 'wx', mode: 0o600 });
      if (!isReleased) await rename(temporary, path);
    } finally {
      await rm(temporary, { force: true }).catch(() => undefined);
    }
  };
  const timer = setInterval(
    () => {
      // A failed renewal (a full disk, an NFS hiccup) is tried again at the next tick.
      renewing = renewing.then(renew).catch(() => undefined);
    },
    Math.floor(leaseMs / 3),
  );
  timer.unref();
  return {
    release: async () => {
      isReleased = true;
      clearInterval(timer);
      await renewing;
      if (await isHeldBy(path, identity)) await rm(path, { force: true }).catch(() => undefined);
    },
  };
}
