import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A real redis-server (Debian's package, installed by run.sh) on a free loopback port. */
export interface RedisProcess {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly connection: { readonly host: string; readonly port: number };
  /** Stops the server (SIGKILL when `abruptly`) and waits until it has exited. */
  stop(abruptly?: boolean): Promise<void>;
  /** Starts it again on the same port (after {@link stop}). */
  restart(): Promise<void>;
  /** Every key and every value stored, as text (strings, hashes, lists, sets, sorted sets, streams). */
  dumpAll(): Promise<string>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts redis-server and resolves once it logs that it accepts connections. */
async function launch(port: number, directory: string, isPersistent: boolean): Promise<ChildProcess> {
  // Persistent: every write is in the append-only file before Redis answers, so a SIGKILL loses
  // nothing and a restart brings the queue back as it was.
  const persistence = isPersistent
    ? ['--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no'];
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', directory],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) =>
      reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)),
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
  });
  child.removeAllListeners('exit');
  return child;
}

/** Starts redis-server; `isPersistent` keeps its data across {@link RedisProcess.restart}. */
export async function startRedis(isPersistent = false): Promise<RedisProcess> {
  const directory = await mkdtemp(join(tmpdir(), 'reget-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(port, directory, isPersistent);
  const stop = async (abruptly = false) => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = once(running, 'exit');
    running.kill(abruptly ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    connection: { host: '127.0.0.1', port },
    stop,
    async restart() {
      child = await launch(port, directory, isPersistent);
    },
    async dumpAll() {
      const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
      try {
        const lines: string[] = [];
        for (const key of await client.keys('*')) {
          const type = await client.type(key);
          const value =
            type === 'string'
              ? await client.get(key)
              : type === 'hash'
                ? await client.hgetall(key)
                : type === 'list'
                  ? await client.lrange(key, 0, -1)
                  : type === 'set'
                    ? await client.smembers(key)
                    : type === 'zset'
                      ? await client.zrange(key, 0, -1, 'WITHSCORES')
                      : type === 'stream'
                        ? await client.xrange(key, '-', '+')
                        : `unknown type ${type}`;
          lines.push(`${key} ${type} ${JSON.stringify(value)}`);
        }
        return lines.join('\n');
      } finally {
        client.disconnect();
      }
    },
    async close() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
