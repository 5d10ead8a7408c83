import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Runs the real `reget` binary the way a user does: `node apps/demo/bin/reget.js …`, after building
 * the app with `tsc -b` once per test process. Test files run in parallel processes, so the build
 * holds a lock directory: a second process waits for the first to finish (watching the lock, not
 * polling), then finds everything up to date.
 */

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const binPath = join(repoRoot, 'apps', 'demo', 'bin', 'reget.js');
const lockPath = join(tmpdir(), `reget-demo-build-${Buffer.from(repoRoot).toString('hex').slice(-24)}.lock`);

let built: Promise<void> | undefined;

/** Builds apps/demo and what it references (`tsc -b`), once per process. */
export function buildCli(): Promise<void> {
  built ??= withLock(async () => {
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const build = promisify(execFile)(process.execPath, [tsc, '-b', join(repoRoot, 'apps', 'demo')], {
      cwd: repoRoot,
    });
    await build.catch((error: { code?: unknown; stdout?: string }) => {
      // tsc exits 2 when it found type errors but still wrote the JavaScript. Types are checked by
      // `npm run typecheck`; these tests check behaviour, and a type error elsewhere must not hide it.
      if (error.code !== 2) throw new Error(`tsc -b apps/demo exited ${error.code}:\n${error.stdout}`);
    });
  });
  return built;
}

async function withLock(work: () => Promise<void>): Promise<void> {
  for (;;) {
    try {
      await mkdir(lockPath);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      await waitForUnlock();
    }
  }
  try {
    await writeFile(join(lockPath, 'pid'), String(process.pid));
    await work();
  } finally {
    await rm(lockPath, { recursive: true, force: true });
  }
}

/** Resolves when the lock directory is gone, or removes it when its owner process is dead. */
async function waitForUnlock(): Promise<void> {
  const owner = Number(await readFile(join(lockPath, 'pid'), 'utf8').catch(() => ''));
  if (owner > 0 && !isAlive(owner)) {
    await rm(lockPath, { recursive: true, force: true });
    return;
  }
  await new Promise<void>((resolve) => {
    const watcher = watch(tmpdir(), (_event, name) => {
      if (name === null || lockPath.endsWith(name)) done();
    });
    const timer = setTimeout(done, 2000); // the owner may die without removing the lock
    function done() {
      clearTimeout(timer);
      watcher.close();
      resolve();
    }
  });
}

/** Whether a process with this pid exists (signal 0 delivers nothing). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** How a run of the binary ended. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for {@link startCli}. */
export interface CliOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Text written to standard input, which is then closed. */
  readonly input?: string;
  /** Leave standard input open for the test to write to (`child.stdin`); `input` is then ignored. */
  readonly isStdinOpen?: boolean;
  /** Extra arguments for node itself, before the script (e.g. `--import`). */
  readonly nodeArgs?: readonly string[];
}

/** A running binary: its output so far, a way to wait for a line, and its end. */
export interface RunningCli {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when `pattern` appears in stdout or stderr (rejects if the process ends first). */
  waitForOutput(pattern: RegExp): Promise<void>;
  readonly exited: Promise<CliResult>;
}

/** Starts `reget args…`; stdin is closed unless `input` is given. */
export function startCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), binPath, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, REGET_PASSWORD: undefined, NO_COLOR: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const check of waiters) check();
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    notify();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    notify();
  });
  if (!options.isStdinOpen) child.stdin.end(options.input ?? '');
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForOutput(pattern) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(stdout) || pattern.test(stderr)) {
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        check();
        exited.then(() => {
          if (waiters.delete(check)) {
            reject(new Error(`reget exited before printing ${pattern}:\n${stdout}\n${stderr}`));
          }
        }, reject);
      });
    },
    exited,
  };
}

/** Runs `reget args…` to the end. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).exited;
}

/** The lines of `text`, without the empty one after the last newline. */
export function linesOf(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
