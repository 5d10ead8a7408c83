import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ErrorCode, localError, RegetError } from './errors.js';

/** A held lock; release it exactly once. */
export interface Lock {
  release(): Promise<void>;
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

/** Whether a lock is empty or names a process of this machine that no longer runs. */
function isStale(holder: string): boolean {
  // Locks are created whole, so an empty one is debris (an older reget, a full disk), not a taker at work.
  if (holder === '') return true;
  const [pidText, host] = holder.trim().split(' ');
  const pid = Number(pidText);
  return Number.isSafeInteger(pid) && pid > 0 && host === hostname() && !isAlive(pid);
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
 * LOC-04). A lock left by a process that died (kill -9) is taken over; the lock is released only
 * by its owner.
 */
export async function acquireLock(path: string): Promise<Lock> {
  const owner = `${process.pid} ${hostname()} ${randomBytes(6).toString('hex')}\n`;
  const target = path.replace(/\.reget\.lock$/, '');
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createWhole(path, owner)) {
      return {
        release: async () => {
          const holder = await readFile(path, 'utf8').catch(() => '');
          if (holder === owner) await rm(path, { force: true }).catch(() => undefined);
        },
      };
    }
    let holder: string;
    try {
      holder = await readFile(path, 'utf8');
    } catch (error) {
      if (codeOf(error) === 'ENOENT') continue;
      throw localError(error, 'read the lock', path);
    }
    if (!isStale(holder)) {
      const pid = holder.trim().split(' ')[0] ?? '?';
      throw new RegetError(ErrorCode.LOCKED, `${target} is already being downloaded by process ${pid}.`);
    }
    await takeOver(path, holder);
  }
  throw new RegetError(ErrorCode.LOCKED, `Cannot take the lock ${path}: other processes keep taking it.`);
}
