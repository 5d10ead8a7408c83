import type { ByteRange } from './ranges.js';
import type { Source } from './sources.js';

/**
 * A connection to another source takes over the whole rest of a range (not half of it) when the
 * range's own source would need more than this many times as long to finish it.
 */
const takeOverRatio = 2;
/** What a new request costs before its first byte, counted against taking over (ms). */
const takeOverCostMs = 300;

/** A range one connection is fetching; `end` shrinks when an idle connection steals half of it. */
export interface Assignment {
  readonly start: number;
  /** Next byte this connection will write. */
  position: number;
  /** Exclusive end; Infinity while the total is unknown. */
  end: number;
  /** The source fetching it (with mirrors). */
  source?: Source | undefined;
  /** A connection to a much faster source took over all that was left of it. */
  isTakenOver?: boolean;
  /** Taken over from a range of this source (much slower). */
  takenFrom?: Source | undefined;
}

/**
 * Hands out the missing ranges of one plan to connections (docs/design.md: a single connection is the
 * plan with one range). Initially the gaps are split into as many pieces as there are connections;
 * later an idle connection takes an unassigned gap, or steals the far half of the largest range in
 * flight, so a slow or failed connection's bytes are fetched by another.
 */
export class Scheduler {
  readonly #minimumBytes: number;
  readonly #pending: Array<[number, number]>;
  readonly #active = new Set<Assignment>();

  constructor(gaps: readonly ByteRange[], connections: number, minimumBytes: number) {
    this.#minimumBytes = Math.max(1, minimumBytes);
    this.#pending = gaps.map(([start, end]) => [start, end] as [number, number]);
    // Split the largest gap until there is one piece per connection or the pieces get too small.
    while (this.#pending.length < connections) {
      const largest = this.#largestPending();
      if (largest === undefined) break;
      const [start, end] = this.#pending[largest]!;
      if (!Number.isFinite(end) || end - start < 2 * this.#minimumBytes) break;
      const middle = start + Math.floor((end - start) / 2);
      this.#pending.splice(largest, 1, [start, middle], [middle, end]);
    }
  }

  /**
   * The next range for an idle connection (reading from `source`, with mirrors), or undefined when
   * nothing is left worth taking. With mirrors, the range that would finish last is split, a slow
   * source never takes work from a faster one, and a source much faster than a range's own takes
   * over all of what is left of it.
   */
  next(source?: Source): Assignment | undefined {
    const gap = this.#pending.shift();
    if (gap) return this.#activate({ start: gap[0], position: gap[0], end: gap[1], source });
    const rate = source?.rate;
    let victim: Assignment | undefined;
    let victimCost = -1;
    for (const assignment of this.#active) {
      const remaining = assignment.end - assignment.position;
      const victimRate = assignment.source?.rate;
      // Never from a faster source: the bytes would arrive later than where they are.
      if (rate !== undefined && victimRate !== undefined && rate * takeOverRatio < victimRate) continue;
      // Largest time left when the rates are known, largest remainder otherwise.
      const cost = victimRate && rate ? remaining / victimRate : remaining;
      if (cost > victimCost) {
        victim = assignment;
        victimCost = cost;
      }
    }
    if (!victim || !Number.isFinite(victim.end)) return undefined;
    const remaining = victim.end - victim.position;
    if (remaining <= 0) return undefined;
    if (remaining < 2 * this.#minimumBytes) {
      if (!this.#isWorthTakingOver(victim, source)) return undefined;
      const taken = {
        start: victim.position,
        position: victim.position,
        end: victim.end,
        source,
        takenFrom: victim.source,
      };
      victim.end = victim.position;
      victim.isTakenOver = true;
      return this.#activate(taken);
    }
    const middle = victim.position + Math.floor(remaining / 2);
    const stolen = { start: middle, position: middle, end: victim.end, source };
    victim.end = middle;
    return this.#activate(stolen);
  }

  /** Whether `source` would finish the rest of `victim` much sooner than its own source. */
  #isWorthTakingOver(victim: Assignment, source: Source | undefined): boolean {
    if (!source || !victim.source || victim.source === source) return false;
    const rate = source.rate;
    const victimRate = victim.source.rate;
    if (rate === undefined || victimRate === undefined) return false;
    const remaining = victim.end - victim.position;
    const theirs = (remaining * 1000) / victimRate;
    const ours = (remaining * 1000) / rate + takeOverCostMs;
    return theirs > takeOverRatio * ours;
  }

  /** Bytes that must be fetched again (a piece that failed its hash): handed out like a gap. */
  requeue(start: number, end: number): void {
    this.#pending.push([start, end]);
    this.#pending.sort((a, b) => a[0] - b[0]);
  }

  /** Whether a connection is still fetching (and so may requeue or free work). */
  get isBusy(): boolean {
    return this.#active.size > 0;
  }

  /** The connection finished its range. */
  done(assignment: Assignment): void {
    this.#active.delete(assignment);
  }

  /** The connection failed: what it did not fetch goes back to the pool for another connection. */
  release(assignment: Assignment): void {
    this.#active.delete(assignment);
    if (assignment.position < assignment.end) this.#pending.push([assignment.position, assignment.end]);
    this.#pending.sort((a, b) => a[0] - b[0]);
  }

  #activate(assignment: Assignment): Assignment {
    this.#active.add(assignment);
    return assignment;
  }

  #largestPending(): number | undefined {
    let index: number | undefined;
    let size = -1;
    this.#pending.forEach(([start, end], at) => {
      if (end - start > size) {
        size = end - start;
        index = at;
      }
    });
    return index;
  }
}
