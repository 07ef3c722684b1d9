// Version vectors: `actor -> counter`, the highest event of each actor a replica or client has
// seen. A vector is an immutable value; every operation returns a new one.
//
// Laws (a, b, c vectors; <= is "b descends a": a[x] <= b[x] for every actor x):
// - join is the pointwise max: commutative, associative, idempotent; join(a, b) descends both.
// - compare(a, b) is 'equal' iff a <= b and b <= a, 'before' iff a <= b only, 'after' iff
//   b <= a only, otherwise 'concurrent'.
// - covers(v, dot) iff v[dot.actor] >= dot.counter: per-actor maxima, so a vector that saw
//   counter 9 of an actor is taken to have seen 1..8 of it too (see dvvset.ts for why that holds).
// Absent actors read as 0; stored counters are always 1..2^63-1 (dot.ts).

import { assertActor, assertCounter, compareActors, type Dot } from './dot';
import { VersionArgumentError } from './errors';

export type VersionOrder = 'before' | 'after' | 'equal' | 'concurrent';

/** Builds a vector from entries already checked (they came out of other vectors or dots). */
let ofChecked: (counters: ReadonlyMap<string, bigint>) => VersionVector;

export class VersionVector {
  static readonly EMPTY = new VersionVector(new Map());

  static {
    ofChecked = (counters) => {
      if (counters.size === 0) return VersionVector.EMPTY;
      const sorted = [...counters.entries()].sort((a, b) => compareActors(a[0], b[0]));
      return new VersionVector(new Map(sorted));
    };
  }

  /** Entries sorted by actor; the map's insertion order is that order. */
  private constructor(private readonly counters: ReadonlyMap<string, bigint>) {}

  /** Builds a vector, checking every actor and counter; a repeated actor is an error. */
  static from(entries: Iterable<readonly [string, bigint]>): VersionVector {
    const seen = new Map<string, bigint>();
    for (const [actor, counter] of entries) {
      assertActor(actor);
      assertCounter(counter);
      if (seen.has(actor)) throw new VersionArgumentError(`actor ${actor} appears twice`);
      seen.set(actor, counter);
    }
    return ofChecked(seen);
  }

  static ofDot(dot: Dot): VersionVector {
    return VersionVector.from([[dot.actor, dot.counter]]);
  }

  get size(): number {
    return this.counters.size;
  }

  /** The counter seen for `actor`, 0n when none. */
  get(actor: string): bigint {
    return this.counters.get(actor) ?? 0n;
  }

  /** Entries sorted by actor. */
  entries(): Array<[string, bigint]> {
    return [...this.counters.entries()];
  }

  toString(): string {
    return `{${this.entries()
      .map(([actor, counter]) => `${actor}:${counter}`)
      .join(', ')}}`;
  }
}

export function joinVersionVectors(...vectors: readonly VersionVector[]): VersionVector {
  const nonEmpty = vectors.filter((vector) => vector.size > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? VersionVector.EMPTY;
  const joined = new Map<string, bigint>();
  for (const vector of nonEmpty) {
    for (const [actor, counter] of vector.entries()) {
      if (counter > (joined.get(actor) ?? 0n)) joined.set(actor, counter);
    }
  }
  return ofChecked(joined);
}

export function covers(vector: VersionVector, dot: Dot): boolean {
  return vector.get(dot.actor) >= dot.counter;
}

/** True when `a` has seen everything `b` has (a >= b pointwise), including a equal to b. */
export function descends(a: VersionVector, b: VersionVector): boolean {
  for (const [actor, counter] of b.entries()) {
    if (a.get(actor) < counter) return false;
  }
  return true;
}

/** True when `a` has seen everything `b` has and more: `a` strictly supersedes `b`. */
export function dominates(a: VersionVector, b: VersionVector): boolean {
  return descends(a, b) && !descends(b, a);
}

export function compareVersionVectors(a: VersionVector, b: VersionVector): VersionOrder {
  const aDescendsB = descends(a, b);
  const bDescendsA = descends(b, a);
  if (aDescendsB && bDescendsA) return 'equal';
  if (bDescendsA) return 'before';
  if (aDescendsB) return 'after';
  return 'concurrent';
}

export function versionVectorsEqual(a: VersionVector, b: VersionVector): boolean {
  // Same actors is not enough: {a:2} descends {a:1} with the same size.
  return a.size === b.size && descends(a, b) && descends(b, a);
}
