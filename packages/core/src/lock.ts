import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ErrorCode, localError, RegetError } from './errors.js';

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
    const [pidText, host] = holder.trim().split(' ');
    const pid = Number(pidText);
    const isStale = Number.isSafeInteger(pid) && pid > 0 && host === hostname() && !isAlive(pid);
    if (!isStale && holder !== '') {
      throw new RegetError(
        ErrorCode.LOCKED,
        `${path.replace(/\.reget\.lock$/, '')} is already being downloaded by process ${pidText}.`,
      );
    }
    // A stale or empty lock (a writer died between create and write): remove it and try again.
    await rm(path, { force: true });
  }
  throw new RegetError(ErrorCode.LOCKED, `Cannot take the lock ${path}.`);
}
