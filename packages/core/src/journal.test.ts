import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, RegetError } from './errors.js';
import { type Journal, readJournal, removeJournal, writeJournal } from './journal.js';

const sample: Journal = {
  version: 1,
  url: 'https://example.com/file.bin',
  total: 1000,
  validator: { value: 'etag:"abc"', isStrong: true },
  ranges: [
    [0, 100],
    [200, 300],
  ],
};

describe('journal', () => {
  let directory: string;
  let path: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-journal-'));
    path = join(directory, 'file.bin.reget');
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('round-trips, including an unknown total and no validator', async () => {
    await writeJournal(path, sample);
    expect(await readJournal(path)).toEqual(sample);
    const bare: Journal = { ...sample, total: undefined, validator: undefined, ranges: [] };
    await writeJournal(path, bare);
    expect(await readJournal(path)).toEqual(bare);
    const segmented: Journal = { ...sample, isSegmented: true };
    await writeJournal(path, segmented);
    expect(await readJournal(path)).toEqual(segmented);
  });

  it('writes mode 0600 by rename, replacing a wider file, and leaves no temporary file', async () => {
    await writeFile(path, 'old', { mode: 0o644 });
    await chmod(path, 0o644);
    for (let round = 0; round < 20; round++) {
      await writeJournal(path, { ...sample, ranges: [[0, round]] });
    }
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(directory)).toEqual(['file.bin.reget']);
    expect(await readJournal(path)).toMatchObject({ ranges: [[0, 19]] });
  });

  it('fails LOCAL_IO and leaves no temporary file when the directory is gone', async () => {
    const missing = join(directory, 'gone', 'file.bin.reget');
    const error = await writeJournal(missing, sample).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RegetError);
    expect((error as RegetError).code).toBe(ErrorCode.LOCAL_IO);
    expect(await readdir(directory)).toEqual([]);
  });

  it('reads a missing journal as none', async () => {
    expect(await readJournal(path)).toBeUndefined();
  });

  it('fails LOCAL_IO when something unreadable is in the way', async () => {
    await mkdir(path);
    const error = await readJournal(path).catch((caught: unknown) => caught);
    expect((error as RegetError).code).toBe(ErrorCode.LOCAL_IO);
  });

  const valid = JSON.parse(JSON.stringify({ ...sample })) as Record<string, unknown>;
  it.each([
    ['truncated JSON', '{"version":1,"url":"https://example.com/file.bin","ranges":[[0,'],
    ['empty', ''],
    ['null', 'null'],
    ['an array', '[]'],
    ['another version', JSON.stringify({ ...valid, version: 2 })],
    ['no url', JSON.stringify({ ...valid, url: undefined })],
    ['a negative total', JSON.stringify({ ...valid, total: -1 })],
    ['a fractional total', JSON.stringify({ ...valid, total: 1.5 })],
    ['a total as text', JSON.stringify({ ...valid, total: '1000' })],
    ['an unsafe total', JSON.stringify({ ...valid, total: 2 ** 60 })],
    ['ranges not a list', JSON.stringify({ ...valid, ranges: { 0: [0, 1] } })],
    ['a reversed range', JSON.stringify({ ...valid, ranges: [[10, 5]] })],
    ['a negative range', JSON.stringify({ ...valid, ranges: [[-5, 5]] })],
    ['a range as text', JSON.stringify({ ...valid, ranges: [['0', '5']] })],
    ['a validator without isStrong', JSON.stringify({ ...valid, validator: { value: 'x' } })],
    ['a validator as text', JSON.stringify({ ...valid, validator: 'etag' })],
  ])('reads a journal with %s as none', async (_name, text) => {
    await writeFile(path, text);
    expect(await readJournal(path)).toBeUndefined();
  });

  it('removes the journal, and a missing one is fine', async () => {
    await writeJournal(path, sample);
    await removeJournal(path);
    await removeJournal(path);
    expect(await readdir(directory)).toEqual([]);
    expect(await readFile(path).catch((error: NodeJS.ErrnoException) => error.code)).toBe('ENOENT');
  });
});
