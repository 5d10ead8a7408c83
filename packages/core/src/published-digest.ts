import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { PublishedDigest } from './contract.js';
import { localError } from './errors.js';

const strength: Readonly<Record<PublishedDigest['algorithm'], number>> = {
  sha512: 4,
  sha256: 3,
  sha1: 2,
  md5: 1,
};

/** The strongest of the digests a server published, or undefined. */
export function strongestDigest(
  digests: readonly PublishedDigest[] | undefined,
): PublishedDigest | undefined {
  let best: PublishedDigest | undefined;
  for (const digest of digests ?? []) {
    if (!best || strength[digest.algorithm] > strength[best.algorithm]) best = digest;
  }
  return best;
}

/** Hashes a whole file from disk (a published digest is known only after the first probe). */
export async function hashFile(
  path: string,
  algorithm: PublishedDigest['algorithm'],
  signal: AbortSignal,
): Promise<string> {
  const hash = createHash(algorithm);
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal })) {
      hash.update(chunk as Buffer);
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw localError(error, 'read', path);
  }
  return hash.digest('hex');
}
