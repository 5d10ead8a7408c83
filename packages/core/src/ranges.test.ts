import { seededRandom } from '@reget/testkit';
import { describe, expect, it } from 'vitest';
import { ByteRanges } from './ranges.js';

/** The runs of `true` in a bitmap, as half-open ranges: the model ByteRanges must agree with. */
function runs(bits: boolean[]): Array<[number, number]> {
  const result: Array<[number, number]> = [];
  for (let index = 0; index < bits.length; index++) {
    if (!bits[index]) continue;
    const last = result.at(-1);
    if (last && last[1] === index) last[1] = index + 1;
    else result.push([index, index + 1]);
  }
  return result;
}

describe('ByteRanges', () => {
  it('keeps ranges sorted and merges overlapping and touching ones', () => {
    const ranges = new ByteRanges();
    ranges.add(50, 60);
    ranges.add(0, 10);
    ranges.add(10, 20);
    ranges.add(30, 40);
    expect(ranges.toArray()).toEqual([
      [0, 20],
      [30, 40],
      [50, 60],
    ]);
    ranges.add(15, 55);
    expect(ranges.toArray()).toEqual([[0, 60]]);
    expect(ranges.size).toBe(60);
  });

  it('ignores empty and reversed ranges', () => {
    const ranges = new ByteRanges([[5, 5]]);
    ranges.add(9, 3);
    expect(ranges.toArray()).toEqual([]);
    expect(ranges.size).toBe(0);
    expect(ranges.end).toBe(0);
  });

  it('reports size, end and the prefix from zero', () => {
    const ranges = new ByteRanges([
      [10, 20],
      [30, 35],
    ]);
    expect(ranges.size).toBe(15);
    expect(ranges.end).toBe(35);
    expect(ranges.prefix).toBe(0);
    ranges.add(0, 10);
    expect(ranges.prefix).toBe(20);
  });

  it('removes a span from the middle, the edges, or everything', () => {
    const ranges = new ByteRanges([[0, 100]]);
    ranges.remove(40, 60);
    expect(ranges.toArray()).toEqual([
      [0, 40],
      [60, 100],
    ]);
    ranges.remove(0, 10);
    ranges.remove(90, 200);
    expect(ranges.toArray()).toEqual([
      [10, 40],
      [60, 90],
    ]);
    ranges.remove(50, 50);
    expect(ranges.size).toBe(60);
    ranges.remove(0, 1000);
    expect(ranges.toArray()).toEqual([]);
  });

  it('truncates at an offset, dropping every byte at or after it', () => {
    const ranges = new ByteRanges([
      [0, 10],
      [20, 30],
      [40, 50],
    ]);
    ranges.truncate(25);
    expect(ranges.toArray()).toEqual([
      [0, 10],
      [20, 25],
    ]);
    ranges.truncate(20);
    expect(ranges.toArray()).toEqual([[0, 10]]);
    ranges.truncate(0);
    expect(ranges.toArray()).toEqual([]);
  });

  it('answers covers and rangeStartAt', () => {
    const ranges = new ByteRanges([
      [0, 10],
      [20, 30],
    ]);
    expect(ranges.covers(0, 10)).toBe(true);
    expect(ranges.covers(5, 11)).toBe(false);
    expect(ranges.covers(5, 25)).toBe(false);
    expect(ranges.covers(22, 22)).toBe(true);
    expect(ranges.rangeStartAt(25)).toBe(20);
    expect(ranges.rangeStartAt(10)).toBe(0);
    expect(ranges.rangeStartAt(15)).toBeUndefined();
  });

  it('lists the gaps up to a known total, clipped to it', () => {
    const ranges = new ByteRanges([
      [10, 20],
      [30, 60],
    ]);
    expect(ranges.missing(50)).toEqual([
      [0, 10],
      [20, 30],
    ]);
    expect(ranges.missing(100)).toEqual([
      [0, 10],
      [20, 30],
      [60, 100],
    ]);
    expect(new ByteRanges([[0, 10]]).missing(10)).toEqual([]);
    expect(new ByteRanges().missing(0)).toEqual([]);
  });

  it('lists one open gap after the last range when the total is unknown', () => {
    expect(new ByteRanges([[0, 10]]).missing(undefined)).toEqual([[10, Number.POSITIVE_INFINITY]]);
    expect(new ByteRanges([[5, 10]]).missing(undefined)).toEqual([
      [0, 5],
      [10, Number.POSITIVE_INFINITY],
    ]);
  });

  it('intersects with another set, leaving both unchanged', () => {
    const a = new ByteRanges([
      [0, 10],
      [20, 40],
      [50, 60],
    ]);
    const b = new ByteRanges([
      [5, 25],
      [35, 55],
    ]);
    expect(a.intersection(b).toArray()).toEqual([
      [5, 10],
      [20, 25],
      [35, 40],
      [50, 55],
    ]);
    expect(b.intersection(a).toArray()).toEqual(a.intersection(b).toArray());
    expect(a.intersection(new ByteRanges()).toArray()).toEqual([]);
    expect(a.intersection(a).toArray()).toEqual(a.toArray());
    expect(a.toArray()).toHaveLength(3);
    expect(b.toArray()).toHaveLength(2);
  });

  const seed = Number(process.env.REGET_SEED ?? 4242);
  it(`agrees with a bitmap model under random add, remove and truncate (seed ${seed})`, () => {
    const random = seededRandom(seed);
    const length = 200;
    for (let round = 0; round < 50; round++) {
      const bits: boolean[] = new Array(length).fill(false);
      const ranges = new ByteRanges();
      for (let step = 0; step < 30; step++) {
        const a = Math.floor(random() * length);
        const b = Math.floor(random() * length);
        const [start, end] = a <= b ? [a, b] : [b, a];
        const operation = random();
        if (operation < 0.55) {
          ranges.add(start, end);
          for (let index = start; index < end; index++) bits[index] = true;
        } else if (operation < 0.9) {
          ranges.remove(start, end);
          for (let index = start; index < end; index++) bits[index] = false;
        } else {
          ranges.truncate(end);
          for (let index = end; index < length; index++) bits[index] = false;
        }
        const where = `seed ${seed} round ${round} step ${step}`;
        expect(ranges.toArray(), where).toEqual(runs(bits));
        expect(ranges.size, where).toBe(bits.filter(Boolean).length);
        const gaps = runs(bits.map((bit) => !bit));
        expect(ranges.missing(length), where).toEqual(gaps);
        expect(ranges.covers(start, end), where).toBe(bits.slice(start, end).every(Boolean));
      }
    }
  });
});
