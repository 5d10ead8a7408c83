import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { interopEnvironment } from './environment.js';

/** The built `reget` command (run.sh builds it first). */
export const cliPath = fileURLToPath(new URL('../../apps/demo/bin/reget.js', import.meta.url));

/** One `--json` line of the CLI: a core event, or `result`, `error`, `interrupted`. */
export interface CliEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** How one run of the CLI ended. */
export interface CliRun {
  /** Exit code, or null when a signal ended it. */
  readonly exitCode: number | null;
  /** True when {@link runCli} killed it with SIGKILL because the partial reached `killAtBytes`. */
  readonly wasKilled: boolean;
  readonly events: readonly CliEvent[];
  readonly stderr: string;
  readonly elapsedMs: number;
}

/** Options of {@link runCli}. */
export interface RunCliOptions {
  /** SIGKILL the command as soon as `<partial>` holds at least this many bytes. */
  readonly killAtBytes?: number | undefined;
  /** The partial file to watch for `killAtBytes` (`<output>.part`). */
  readonly partial?: string | undefined;
  /**
   * What `killAtBytes` counts: the partial's size (default), or the bytes allocated to it, which
   * for a segmented download's file full of holes is what was really written.
   */
  readonly measure?: 'size' | 'allocated' | undefined;
  /** A run taking longer than this is killed and reported as a failure. Default 120 s. */
  readonly timeoutMs?: number | undefined;
}

/** The first event of a type, if the run emitted one. */
export function eventOf(run: CliRun, type: string): CliEvent | undefined {
  return run.events.find((event) => event.type === type);
}

/** The CLI flags that make it trust the interop server of a URL (CA, SSH key, pinned host key). */
export function trustFlags(url: string): string[] {
  const environment = interopEnvironment();
  const scheme = new URL(url).protocol;
  if (scheme === 'sftp:') return ['--identity', environment.sshKey, '--host-key', environment.sshHostKey];
  if (scheme === 'https:' || scheme === 'ftps:' || scheme === 'ftpes:') return ['--ca', environment.ca];
  return [];
}

/**
 * Runs `node apps/demo/bin/reget.js <args> --json` and collects its events. With `killAtBytes`,
 * polls the partial's size every millisecond and sends SIGKILL once it is reached: a kill -9 at a
 * chosen point of the transfer, wherever the process happens to be (writing, journalling, reading).
 */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [cliPath, ...args, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  let isKillSent = false;
  let hasTimedOut = false;
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const { killAtBytes, partial } = options;
  const watcher =
    killAtBytes !== undefined && partial !== undefined
      ? setInterval(() => {
          const size = sizeNow(partial, options.measure ?? 'size');
          if (size !== undefined && size >= killAtBytes && !isKillSent) {
            isKillSent = child.kill('SIGKILL');
          }
        }, 1)
      : undefined;
  const timer = setTimeout(() => {
    hasTimedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 120_000);

  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearInterval(watcher);
      clearTimeout(timer);
      if (hasTimedOut) {
        reject(new Error(`reget ${args.join(' ')} did not finish in time; stderr: ${stderr}`));
        return;
      }
      resolve({
        exitCode,
        // A process that exited on its own just before the signal landed was not killed.
        wasKilled: isKillSent && signal === 'SIGKILL',
        events: parseEvents(stdout),
        stderr,
        elapsedMs: performance.now() - started,
      });
    });
  });
}

function sizeNow(path: string, measure: 'size' | 'allocated'): number | undefined {
  try {
    const stats = statSync(path);
    return measure === 'size' ? stats.size : stats.blocks * 512;
  } catch {
    return undefined;
  }
}

function parseEvents(stdout: string): CliEvent[] {
  const events: CliEvent[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    try {
      events.push(JSON.parse(line) as CliEvent);
    } catch {
      // A line cut short by SIGKILL is the only thing that is not JSON.
    }
  }
  return events;
}
