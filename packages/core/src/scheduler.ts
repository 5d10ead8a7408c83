import type { ByteRange } from './ranges.js';

/** A range one connection is fetching; `end` shrinks when an idle connection steals half of it. */
export interface Assignment {
  readonly start: number;
  /** Next byte this connection will write. */
  position: number;
  /** Exclusive end; Infinity while the total is unknown. */
  end: number;
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

  /** The next range for an idle connection, or undefined when nothing is left worth taking. */
  next(): Assignment | undefined {
    const gap = this.#pending.shift();
    if (gap) return this.#activate({ start: gap[0], position: gap[0], end: gap[1] });
    let victim: Assignment | undefined;
    for (const assignment of this.#active) {
      if (!victim || assignment.end - assignment.position > victim.end - victim.position) victim = assignment;
    }
    if (!victim || !Number.isFinite(victim.end)) return undefined;
    const remaining = victim.end - victim.position;
    if (remaining < 2 * this.#minimumBytes) return undefined;
    const middle = victim.position + Math.floor(remaining / 2);
    const stolen = { start: middle, position: middle, end: victim.end };
    victim.end = middle;
    return this.#activate(stolen);
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
