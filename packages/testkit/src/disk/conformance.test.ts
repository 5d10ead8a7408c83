import { mkdtempSync } from 'node:fs';
import { mkdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runConformanceSuite } from '../conformance/index.js';
import type { ConformanceServer, ConformanceTarget } from '../conformance/target.js';
import { ftpConformanceTarget } from '../ftp/target.js';
import { httpConformanceTarget } from '../http/target.js';
import { sftpConformanceTarget } from '../sftp/target.js';

// The whole conformance suite again, with every file served from a folder on disk instead of
// memory: `putFile` writes into the folder, and the servers find the files there at each request.

/**
 * Writes `content` at `path` of `folder` the way a user replaces a file (a new file renamed over
 * the old one), with a modification time a day back and at least a second after the previous one,
 * as the memory stores do, so that even SFTP's whole-second mtime changes.
 */
async function writeOnDisk(folder: string, path: string, content: Uint8Array): Promise<void> {
  const file = join(folder, path);
  await mkdir(dirname(file), { recursive: true });
  const previous = await stat(file).catch(() => undefined);
  const seconds = Math.max(
    Math.floor(Date.now() / 1000) - 86_400,
    previous === undefined ? 0 : Math.floor(previous.mtimeMs / 1000) + 1,
  );
  const temporary = join(dirname(file), `.writing-${process.pid}`);
  await writeFile(temporary, content);
  await utimes(temporary, seconds, seconds);
  await rename(temporary, file);
}

function fromDisk(make: (folder: string) => ConformanceTarget): ConformanceTarget {
  const folder = mkdtempSync(join(tmpdir(), 'reget-disk-conformance-'));
  const target = make(folder);
  return {
    name: `${target.name} from disk`,
    capabilities: target.capabilities,
    start: async (): Promise<ConformanceServer> => {
      const server = await target.start();
      return {
        adapter: server.adapter,
        url: (path) => server.url(path),
        unauthorizedUrl: (path) => server.unauthorizedUrl?.(path),
        putFile: (path, content) => writeOnDisk(folder, path, content),
        setFaults: (faults) => server.setFaults(faults),
        bytesSent: () => server.bytesSent(),
        transferStarts: () => server.transferStarts(),
        resetCounters: () => server.resetCounters(),
        ...(server.connectionsAccepted === undefined
          ? {}
          : { connectionsAccepted: () => server.connectionsAccepted?.() ?? 0 }),
        close: async () => {
          await server.close();
          await rm(folder, { recursive: true, force: true });
        },
      };
    },
  };
}

runConformanceSuite(fromDisk((folder) => httpConformanceTarget({ folder })));
runConformanceSuite(fromDisk((folder) => ftpConformanceTarget({ folder })));
runConformanceSuite(fromDisk((folder) => sftpConformanceTarget({ folder })));
