import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, link, mkdtemp, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServedFile, servedPath } from './environment.js';

/** Hex sha256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Size of a file, or undefined when there is none. */
export async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then(
    (stats) => stats.size,
    () => undefined,
  );
}

/**
 * Serves a copy of the served file `source` as `name`, replacing any previous version atomically
 * (copy, then rename, the way a deploy does). `version` sets the modification time: version 1 is a
 * day ago, version 2 now. Why: nginx's ETag, vsftpd's MDTM and SFTP's mtime have one-second
 * resolution, and a replacement within the same second with the same size would be invisible.
 */
export async function publish(name: string, source: string, version = 1): Promise<string> {
  const target = servedPath(name);
  const staging = `${target}.staging`;
  await copyFile(servedPath(source), staging);
  await chmod(staging, 0o644);
  const seconds = Math.floor(Date.now() / 1000) - (version === 1 ? 86_400 : 0) + version;
  await utimes(staging, seconds, seconds);
  await rename(staging, target);
  return target;
}

/** Serves the served file `source` again as `name` through a hard link (large files, no copy). */
export async function alias(name: string, source: string): Promise<string> {
  const target = servedPath(name);
  await rm(target, { force: true });
  await link(servedPath(source), target);
  return target;
}

/** A fresh temporary folder, and a function that removes it. */
export async function temporaryDirectory(
  prefix: string,
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `reget-interop-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** The crash tiers' file (large.bin, which servers.sh generates): its size and sha256. */
export async function largeServedFile(): Promise<{ total: number; sha256: string }> {
  const path = servedPath(ServedFile.large);
  const total = (await sizeOf(path)) ?? 0;
  if (total === 0)
    throw new Error('servers.sh generates large.bin (REGET_INTEROP_LARGE_SIZE must not be 0).');
  return { total, sha256: await sha256File(path) };
}

/**
 * Where `path` differs from `reference`, in 64 KiB blocks, for a failure message: the first few
 * differing stretches and whether they hold only zeros (a hole taken for data).
 */
export async function differingRegions(path: string, reference: string): Promise<string> {
  const block = 64 * 1024;
  const [actual, wanted] = await Promise.all([readFile(path), readFile(reference)]);
  if (actual.length !== wanted.length) return `${actual.length} bytes instead of ${wanted.length}`;
  const stretches: Array<{ start: number; end: number; zeros: boolean }> = [];
  for (let at = 0; at < actual.length; at += block) {
    const end = Math.min(at + block, actual.length);
    const mine = actual.subarray(at, end);
    if (mine.equals(wanted.subarray(at, end))) continue;
    const zeros = mine.every((byte) => byte === 0);
    const last = stretches.at(-1);
    if (last && last.end === at && last.zeros === zeros) last.end = end;
    else stretches.push({ start: at, end, zeros });
  }
  if (stretches.length === 0) return 'no difference';
  const shown = stretches
    .slice(0, 5)
    .map(({ start, end, zeros }) => `[${start}, ${end})${zeros ? ' zeros' : ''}`)
    .join(', ');
  return `differs at ${shown}${stretches.length > 5 ? ` and ${stretches.length - 5} more` : ''}`;
}
