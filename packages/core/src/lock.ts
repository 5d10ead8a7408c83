import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ErrorCode, localError, RegetError } from './errors.js';

/** A held lock; release it exactly once. */
export interface Lock {
  release(): Promise<void>;
  /**
   * Throws LOCKED when the lock may no longer be this process's: its file names another holder, or
   * the lease was last renewed more than two thirds of it ago (this process was paused, or its
   * renewals failed, long enough for another host to take it over). Checked before the finished
   * file is cut and renamed, and at every attempt.
   */
  assertHeld(): Promise<void>;
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

/** What a lock file says: `<pid> <host> <token> <lease in ms>`. */
interface Holder {
  readonly pid: number;
  readonly host: string;
  /** How long the lock holds for other hosts after its last renewal (its modification time). */
  readonly leaseMs: number | undefined;
}

function parseHolder(text: string): Holder | undefined {
  const fields = text.trim().split(' ');
  const pid = Number(fields[0]);
  const host = fields[1];
  if (!Number.isSafeInteger(pid) || pid <= 0 || host === undefined || host === '') return undefined;
  const leaseMs = fields[3] === undefined ? undefined : Number(fields[3]);
  return { pid, host, leaseMs: leaseMs !== undefined && Number.isSafeInteger(leaseMs) ? leaseMs : undefined };
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
 * gone for good (SIGKILL, power cut): its holder renews the lease (the lock's modification time)
 * while it downloads, so a lease not renewed in time is a holder that stopped. A lock of another
 * host without a lease (an older reget) is never taken over.
 */
function isStale(text: string, modifiedAt: number, host: string, now: number): boolean {
  // Locks are created whole, so an empty one is debris (an older reget, a full disk), not a taker at work.
  if (text === '') return true;
  const holder = parseHolder(text);
  if (holder === undefined) return false;
  if (holder.host === host) return !isAlive(holder.pid);
  return holder.leaseMs !== undefined && now > modifiedAt + holder.leaseMs;
}

/**
 * A name beside the lock for a file of this process: `<lock>.<pid>.<host>.<random>.<kind>`, so that
 * what a killed process leaves there (a SIGKILL between creating and removing it) can be told
 * apart from what a live taker is using, and swept ({@link sweepDebris}).
 */
function besideLock(path: string, host: string, kind: 'tmp' | 'stale'): string {
  return `${path}.${process.pid}.${host}.${randomBytes(6).toString('hex')}.${kind}`;
}

/**
 * Removes the files a killed holder or taker left beside the lock: those of a dead process of this
 * host, and those of another host older than a lease (a live taker's exist for milliseconds).
 */
async function sweepDebris(path: string, host: string, leaseMs: number): Promise<void> {
  const prefix = `${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    // The host may hold dots; the pid, the random part and the kind do not.
    const match = /^(\d+)\.(.+)\.[0-9a-f]{12}\.(?:tmp|stale)$/.exec(name.slice(prefix.length));
    if (match === null) continue;
    const pid = Number(match[1]);
    const owner = match[2];
    const debris = join(dirname(path), name);
    if (owner === host) {
      if (isAlive(pid)) continue;
    } else {
      const modifiedAt = (await stat(debris).catch(() => undefined))?.mtimeMs;
      if (modifiedAt === undefined || Date.now() <= modifiedAt + leaseMs) continue;
    }
    await rm(debris, { force: true }).catch(() => undefined);
  }
}

/**
 * Creates `path` holding `content` in one step: a complete temporary file is hard-linked into
 * place, which fails if `path` exists. No reader ever sees an empty or half-written lock.
 */
async function createWhole(path: string, content: string, host: string): Promise<boolean> {
  const temporary = besideLock(path, host, 'tmp');
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
async function takeOver(
  path: string,
  staleHolder: string,
  host: string,
  isStillStale: (aside: string) => Promise<boolean>,
): Promise<void> {
  const aside = besideLock(path, host, 'stale');
  try {
    await rename(path, aside);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return;
    throw localError(error, 'take over the lock', path);
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  // Renewed in the meantime (a late holder of another host), or another taker's fresh lock: back.
  if (moved !== staleHolder || !(await isStillStale(aside))) await link(aside, path).catch(() => undefined);
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
  const content = `${process.pid} ${host} ${randomBytes(6).toString('hex')} ${leaseMs}\n`;
  const target = path.replace(/\.reget\.lock$/, '');
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createWhole(path, content, host)) {
      await sweepDebris(path, host, leaseMs);
      return holdLease(path, content, leaseMs);
    }
    let holder: string;
    let modifiedAt: number;
    try {
      holder = await readFile(path, 'utf8');
      modifiedAt = (await stat(path)).mtimeMs;
    } catch (error) {
      if (codeOf(error) === 'ENOENT') continue;
      throw localError(error, 'read the lock', path);
    }
    if (!isStale(holder, modifiedAt, host, Date.now())) {
      const parsed = parseHolder(holder);
      const who = parsed
        ? `process ${parsed.pid}${parsed.host === host ? '' : ` on ${parsed.host}`}`
        : 'another process';
      throw new RegetError(ErrorCode.LOCKED, `${target} is already being downloaded by ${who}.`, {
        details: parsed && {
          lockHolder: {
            pid: parsed.pid,
            host: parsed.host,
            leaseExpiresAt: parsed.leaseMs === undefined ? undefined : modifiedAt + parsed.leaseMs,
          },
        },
      });
    }
    await takeOver(path, holder, host, async (aside) => {
      const movedAt = (await stat(aside).catch(() => undefined))?.mtimeMs ?? modifiedAt;
      return isStale(holder, movedAt, host, Date.now());
    });
  }
  throw new RegetError(ErrorCode.LOCKED, `Cannot take the lock ${path}: other processes keep taking it.`);
}

/** Whether the lock at `path` is still the one this process created (`content`). */
async function isHeldBy(path: string, content: string): Promise<boolean> {
  return (await readFile(path, 'utf8').catch(() => '')) === content;
}

/**
 * Renews the lease of a held lock until it is released, by setting its modification time: one
 * atomic metadata update, no temporary file (which a SIGKILL could leave behind), and only while
 * the lock is still ours.
 */
function holdLease(path: string, content: string, leaseMs: number): Lock {
  let isReleased = false;
  let renewing: Promise<void> = Promise.resolve();
  let renewedAt = performance.now();
  const renew = async () => {
    if (isReleased || !(await isHeldBy(path, content))) return;
    const now = new Date();
    await utimes(path, now, now);
    renewedAt = performance.now();
  };
  const lost = (why: string) =>
    new RegetError(
      ErrorCode.LOCKED,
      `The lock ${path} ${why}; another process may be downloading this file now, so this one stops.`,
    );
  const timer = setInterval(
    () => {
      // A failed renewal (an NFS hiccup) is tried again at the next tick.
      renewing = renewing.then(renew).catch(() => undefined);
    },
    Math.floor(leaseMs / 3),
  );
  timer.unref();
  return {
    assertHeld: async () => {
      if (performance.now() - renewedAt > (2 * leaseMs) / 3) throw lost('was not renewed in time');
      if (!(await isHeldBy(path, content))) throw lost('was taken over');
    },
    release: async () => {
      isReleased = true;
      clearInterval(timer);
      await renewing;
      if (await isHeldBy(path, content)) await rm(path, { force: true }).catch(() => undefined);
    },
  };
}
