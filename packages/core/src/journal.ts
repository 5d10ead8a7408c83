import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { uptime } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Validator } from './contract.js';
import { localError } from './errors.js';
import type { ByteRange } from './ranges.js';

/**
 * The journal `<destination>.reget`: what the bytes in the partial belong to and which ranges are on
 * disk. It never holds credentials, and it never claims bytes that were not written first.
 */
export interface Journal {
  readonly version: 1;
  /** The original URL, redacted. */
  readonly url: string;
  readonly total: number | undefined;
  readonly validator: Validator | undefined;
  readonly ranges: readonly ByteRange[];
  /**
   * Bytes may have been written at offsets apart from the journalled ranges (several connections):
   * the file length then says nothing about what lies past the last range, which may hold holes.
   */
  readonly isSegmented?: boolean | undefined;
  /**
   * Set when the claimed bytes were never flushed to the device (`durable: false`): the boot they
   * were written in. The page cache keeps them across a kill -9, not across a restart of the
   * machine, so in another boot the claims are worthless.
   */
  readonly unflushedBoot?: string | undefined;
}

let cachedBoot: string | undefined;

/**
 * Which boot of this machine is running: Linux's boot id, elsewhere the boot time to 10 s (a clock
 * step may change it, which only costs a restart of an unflushed download).
 */
export function currentBoot(): string {
  if (cachedBoot === undefined) {
    try {
      cachedBoot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBoot = `booted-${Math.round((Date.now() / 1000 - uptime()) / 10)}`;
    }
  }
  return cachedBoot;
}

/** Reads a journal; a missing, unreadable or foreign file counts as no journal (the bytes are then verified). */
export async function readJournal(path: string): Promise<Journal | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw localError(error, 'read the journal', path);
  }
  return parseJournal(text);
}

function isSafeCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseJournal(text: string): Journal | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const record = data as Record<string, unknown>;
  if (record.version !== 1 || typeof record.url !== 'string') return undefined;
  const total = record.total === null ? undefined : record.total;
  if (total !== undefined && !isSafeCount(total)) return undefined;
  const validator = parseValidator(record.validator);
  if (validator === null) return undefined;
  if (!Array.isArray(record.ranges)) return undefined;
  const ranges: ByteRange[] = [];
  for (const range of record.ranges) {
    if (!Array.isArray(range) || !isSafeCount(range[0]) || !isSafeCount(range[1]) || range[1] < range[0]) {
      return undefined;
    }
    ranges.push([range[0], range[1]]);
  }
  const isSegmented = record.segmented === true ? { isSegmented: true } : {};
  // Any other value than a boot's name is a journal that cannot say when its bytes were written.
  if (record.unflushed !== undefined && typeof record.unflushed !== 'string') return undefined;
  const unflushed = typeof record.unflushed === 'string' ? { unflushedBoot: record.unflushed } : {};
  return { version: 1, url: record.url, total, validator, ranges, ...isSegmented, ...unflushed };
}

/** undefined when absent, null when malformed. */
function parseValidator(value: unknown): Validator | undefined | null {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object') return null;
  const record = value as Record<string, unknown>;
  if (typeof record.value !== 'string' || typeof record.isStrong !== 'boolean') return null;
  return { value: record.value, isStrong: record.isStrong };
}

/**
 * Removes the temporary journals a killed process left (a SIGKILL between writing one and renaming
 * it into place). Call it while holding the destination's lock: no one else writes this journal.
 */
export async function removeJournalDebris(path: string): Promise<void> {
  const prefix = `${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(prefix) && /^[0-9a-f]{8}\.tmp$/.test(name.slice(prefix.length))) {
      await rm(join(dirname(path), name), { force: true }).catch(() => undefined);
    }
  }
}

/**
 * Replaces the journal atomically (write a temporary file, then rename), mode 0600, so a crash
 * leaves either the old journal or the new one, never half of one.
 */
export async function writeJournal(path: string, journal: Journal): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const text = JSON.stringify({
    version: journal.version,
    url: journal.url,
    total: journal.total ?? null,
    validator: journal.validator ?? null,
    ranges: journal.ranges,
    ...(journal.isSegmented ? { segmented: true } : {}),
    ...(journal.unflushedBoot === undefined ? {} : { unflushed: journal.unflushedBoot }),
  });
  try {
    await writeFile(temporary, `${text}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw localError(error, 'write the journal', path);
  }
}

/** Deletes the journal; a missing one is fine. */
export async function removeJournal(path: string): Promise<void> {
  try {
    await rm(path, { force: true });
  } catch (error) {
    throw localError(error, 'remove the journal', path);
  }
}
