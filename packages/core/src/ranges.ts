/** A half-open byte range `[start, end)`. */
export type ByteRange = readonly [start: number, end: number];

/**
 * The set of byte ranges of a file that are on disk, kept sorted and merged. A single-connection
 * download is a set of one range growing from 0; segments add more ranges to the same set.
 */
export class ByteRanges {
  #ranges: Array<[number, number]> = [];

  constructor(ranges: Iterable<ByteRange> = []) {
    for (const [start, end] of ranges) this.add(start, end);
  }

  /** The ranges, sorted and merged. */
  toArray(): ByteRange[] {
    return this.#ranges.map(([start, end]) => [start, end] as const);
  }

  /** Total bytes covered. */
  get size(): number {
    let total = 0;
    for (const [start, end] of this.#ranges) total += end - start;
    return total;
  }

  /** End of the last range, or 0. */
  get end(): number {
    return this.#ranges.at(-1)?.[1] ?? 0;
  }

  /** Length of the contiguous run that starts at offset 0. */
  get prefix(): number {
    const first = this.#ranges[0];
    return first && first[0] === 0 ? first[1] : 0;
  }

  /** Records `[start, end)` as on disk. */
  add(start: number, end: number): void {
    if (end <= start) return;
    const merged: Array<[number, number]> = [];
    let next: [number, number] = [start, end];
    let placed = false;
    for (const range of this.#ranges) {
      if (range[1] < next[0]) merged.push(range);
      else if (next[1] < range[0]) {
        if (!placed) merged.push(next);
        placed = true;
        merged.push(range);
      } else next = [Math.min(range[0], next[0]), Math.max(range[1], next[1])];
    }
    if (!placed) merged.push(next);
    this.#ranges = merged;
  }

  /** Forgets every byte at or after `offset`. */
  truncate(offset: number): void {
    this.#ranges = this.#ranges
      .filter(([start]) => start < offset)
      .map(([start, end]) => [start, Math.min(end, offset)] as [number, number]);
  }

  /** Forgets the bytes of `[start, end)`. */
  remove(start: number, end: number): void {
    if (end <= start) return;
    const kept: Array<[number, number]> = [];
    for (const [s, e] of this.#ranges) {
      if (e <= start || s >= end) kept.push([s, e]);
      else {
        if (s < start) kept.push([s, start]);
        if (e > end) kept.push([end, e]);
      }
    }
    this.#ranges = kept;
  }

  /** Forgets everything. */
  clear(): void {
    this.#ranges = [];
  }

  /** Whether every byte of `[start, end)` is on disk. */
  covers(start: number, end: number): boolean {
    if (end <= start) return true;
    return this.#ranges.some(([s, e]) => s <= start && end <= e);
  }

  /** The start of the range that contains `offset`, or undefined. */
  rangeStartAt(offset: number): number | undefined {
    return this.#ranges.find(([s, e]) => s <= offset && offset <= e)?.[0];
  }

  /** The bytes that are in both this and `other`. */
  intersection(other: ByteRanges): ByteRanges {
    const both = new ByteRanges(this.#ranges);
    for (const [start, end] of other.missing(undefined)) both.remove(start, end);
    return both;
  }

  /** The gaps in `[0, total)`; with an unknown total, the single open gap after the last range. */
  missing(total: number | undefined): ByteRange[] {
    const gaps: ByteRange[] = [];
    let cursor = 0;
    for (const [start, end] of this.#ranges) {
      if (start > cursor) gaps.push([cursor, start]);
      cursor = Math.max(cursor, end);
    }
    const limit = total ?? Number.POSITIVE_INFINITY;
    if (cursor < limit) gaps.push([cursor, limit]);
    return total === undefined
      ? gaps
      : gaps.filter(([s, e]) => s < total && e > s).map(([s, e]) => [s, Math.min(e, total)]);
  }
}
