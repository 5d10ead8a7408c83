import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** What a fleet worker process prints, one event per line (fleet-worker.mjs). */
export type WorkerLine = readonly [kind: string, ...fields: string[]];

const workerScript = fileURLToPath(new URL('./fleet-worker.mjs', import.meta.url));

/** A worker process of the fleet, with its printed lines. */
export class FleetWorker {
  readonly lines: WorkerLine[] = [];
  readonly child: ChildProcess;
  #listeners = new Set<(line: WorkerLine) => void>();
  readonly exited: Promise<unknown>;

  constructor(
    readonly name: string,
    config: object,
  ) {
    this.child = spawn(process.execPath, [workerScript], {
      env: { ...process.env, REGET_FLEET_WORKER: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = once(this.child, 'exit');
    let stderr = '';
    this.child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    this.child.on('exit', () => {
      if (stderr !== '') this.lines.push(['stderr', stderr]);
    });
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      const line = text.split(' ') as unknown as WorkerLine;
      this.lines.push(line);
      for (const listener of this.#listeners) listener(line);
    });
  }

  /** Resolves with the first line (from now on) that `matches`; rejects if the process exits first. */
  waitFor(matches: (line: WorkerLine) => boolean): Promise<WorkerLine> {
    return new Promise((resolve, reject) => {
      const listener = (line: WorkerLine) => {
        if (!matches(line)) return;
        this.#listeners.delete(listener);
        resolve(line);
      };
      this.#listeners.add(listener);
      this.exited.then(() => {
        this.#listeners.delete(listener);
        reject(new Error(`${this.name} exited: ${this.lines.map((l) => l.join(' ')).join('\n')}`));
      });
    });
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    await this.exited;
  }
}

/** Every file under `root`, relative to it, sorted. */
export async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}
