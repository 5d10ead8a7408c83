import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ErrorCode, localError, RegetError } from './errors.js';

/** How long an empty lock file counts as being written by its taker rather than left by a crash. */
const emptyLockGraceMs = 10_000;

/** A held lock; release it exactly once. */
export interface Lock {
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the exclusive lock `<path>` (created with O_EXCL) so two processes never write the same
 * partial (FAULTS LOC-04). A lock left by a process that died (kill -9) is taken over.
 */
export async function acquireLock(path: string): Promise<Lock> {
  const owner = `${process.pid} ${hostname()}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(path, owner, { flag: 'wx', mode: 0o600 });
      return {
        release: async () => {
          await rm(path, { force: true }).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw localError(error, 'create the lock', path);
    }
    const holder = await readFile(path, 'utf8').catch(() => '');
    // O_EXCL creates the file before the pid is written: a young empty lock is a taker at work.
    const age = await stat(path).then(
      (stats) => Date.now() - stats.mtimeMs,
      () => Number.POSITIVE_INFINITY,
    );
    if (holder === '' && age < emptyLockGraceMs) {
      throw new RegetError(
        ErrorCode.LOCKED,
        `${path.replace(/\.reget\.lock$/, '')} is already being downloaded by another process.`,
      );
    }
    const [pidText, host] = holder.trim().split(' ');
    const pid = Number(pidText);
    const isStale = Number.isSafeInteger(pid) && pid > 0 && host === hostname() && !isAlive(pid);
    if (!isStale && holder !== '') {
      throw new RegetError(
        ErrorCode.LOCKED,
        `${path.replace(/\.reget\.lock$/, '')} is already being downloaded by process ${pidText}.`,
      );
    }
    // A stale lock, or an old empty one (a writer died between create and write): remove it and retry.
    await rm(path, { force: true });
  }
  throw new RegetError(ErrorCode.LOCKED, `Cannot take the lock ${path}.`);
}
