import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HttpTestServer, makeContent, sha256, startHttpServer } from '@reget/testkit';

/** A credential the tests look for in every byte the CLI prints. */
export const password = 'pa55-Very-Secret';

/** One HTTP server for a test file, a fresh directory per test, and helpers to look at the result. */
export interface HttpFixture {
  readonly server: HttpTestServer;
  /** A server that requires basic auth as `alice` with {@link password}. */
  readonly authServer: HttpTestServer;
  /** Creates a fresh empty directory for one test. */
  newDirectory(): Promise<string>;
  close(): Promise<void>;
}

export async function startHttpFixture(): Promise<HttpFixture> {
  const server = await startHttpServer();
  const authServer = await startHttpServer({ auth: { username: 'alice', password } });
  const root = await mkdtemp(join(tmpdir(), 'reget-cli-http-'));
  let count = 0;
  return {
    server,
    authServer,
    async newDirectory() {
      count += 1;
      const directory = join(root, String(count));
      await mkdir(directory);
      return directory;
    },
    async close() {
      await Promise.all([server.close(), authServer.close()]);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Puts reproducible content of `size` bytes at `path` on each server and returns it. */
export async function putContent(servers: readonly HttpTestServer[], path: string, size: number, seed = 1) {
  const content = makeContent(size, seed);
  for (const server of servers) await server.putFile(path, content);
  return content;
}

/** The sha256 of a file on disk, or undefined when it does not exist. */
export async function fileHash(path: string): Promise<string | undefined> {
  return readFile(path).then(
    (bytes) => sha256(bytes),
    () => undefined,
  );
}

/** The names in a directory, sorted. */
export async function listDirectory(directory: string): Promise<string[]> {
  return (await readdir(directory)).sort();
}

/** The JSON objects a `--json` run printed, one per stdout line. */
export function jsonEvents(stdout: string): Array<Record<string, unknown> & { type: string }> {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown> & { type: string });
}

export { sha256 };
