import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anyText, nearValid, outcomeOfAsync, propertyParameters } from '@reget/testkit/property';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Journal, readJournal, writeJournal } from './journal.js';

const journal: fc.Arbitrary<Journal> = fc
  .record({
    url: fc.webUrl(),
    total: fc.option(fc.maxSafeNat(), { nil: undefined }),
    validator: fc.option(fc.record({ value: fc.string(), isStrong: fc.boolean() }), { nil: undefined }),
    ranges: fc.array(
      fc.tuple(fc.maxSafeNat(), fc.maxSafeNat()).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
      { maxLength: 5 },
    ),
    isSegmented: fc.boolean(),
  })
  .map(({ isSegmented, ...rest }) => ({
    version: 1 as const,
    ...rest,
    ...(isSegmented ? { isSegmented } : {}),
  }));

/** The text writeJournal stores, with some of its numbers and fields broken. */
const journalText = journal.map((entry) =>
  JSON.stringify({ ...entry, total: entry.total ?? null, validator: entry.validator ?? null }),
);

describe('journal properties (the <destination>.reget file)', () => {
  let directory: string;
  let count = 0;
  const nextPath = () => join(directory, `${count++}.reget`);
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-journal-property-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('reads any file as a journal or as none, and never claims an impossible range', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyText, nearValid(journalText)), async (text) => {
        const path = nextPath();
        await writeFile(path, text);
        const outcome = await outcomeOfAsync(() => readJournal(path));
        // A corrupt journal counts as none (the bytes are then verified); it is never an error.
        expect(outcome).not.toHaveProperty('error');
        const read = 'value' in outcome ? outcome.value : undefined;
        if (read === undefined) return;
        if (read.total !== undefined) expect(Number.isSafeInteger(read.total) && read.total >= 0).toBe(true);
        for (const [start, end] of read.ranges) {
          expect(Number.isSafeInteger(start) && Number.isSafeInteger(end) && 0 <= start && start <= end).toBe(
            true,
          );
        }
      }),
      propertyParameters(),
    );
  });

  it('reads back every journal it wrote', async () => {
    await fc.assert(
      fc.asyncProperty(journal, async (written) => {
        const path = nextPath();
        await writeJournal(path, written);
        expect(await readJournal(path)).toEqual(written);
      }),
      propertyParameters(),
    );
  });

  it('reads as none a journal with a negative, fractional or unsafe count, or a reversed range', async () => {
    const broken = fc.oneof(
      fc
        .constantFrom(-1, 0.5, 2 ** 53, Number.MAX_VALUE, '12', null)
        .map((bad) => ({ total: 10, ranges: [[0, bad]] })),
      fc.constantFrom(-1, 0.5, 2 ** 53, '12', true).map((bad) => ({ total: bad, ranges: [] })),
      fc.integer({ min: 1, max: 1000 }).map((start) => ({ total: null, ranges: [[start, start - 1]] })),
      fc.constantFrom(0, 2, '1').map((version) => ({ version, total: null, ranges: [] })),
    );
    await fc.assert(
      fc.asyncProperty(broken, async (fields) => {
        const path = nextPath();
        await writeFile(path, JSON.stringify({ version: 1, url: 'https://h/f', validator: null, ...fields }));
        expect(await readJournal(path)).toBeUndefined();
      }),
      propertyParameters(),
    );
  });
});
