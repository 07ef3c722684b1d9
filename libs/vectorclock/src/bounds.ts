// Bounds on a version set (docs/architecture.md#data-model), applied by the caller after update or
// sync.
//
// Vector entries: a context keeps at most `vectorEntriesMax` entries, dropping the oldest first:
// the smallest counters (HLC counters are wall-clock based, so those are the coordinators that
// have written this key least recently), ties broken by actor. Pruning lowers some entries to 0,
// so the context covers fewer dots. Siblings are only ever dropped because a context covers them
// (dvvset.ts), so a smaller context can only keep more siblings: at worst a write that was
// overwritten comes back as a sibling (a false conflict), never is a write lost. Siblings are not
// touched by pruning, and readContext still covers every sibling a client sees.
//
// Siblings: beyond `siblingsMax`, the set collapses to its LWW winner and says so, so the caller
// can count it in a metric. This does drop writes, deliberately and visibly.

import { compareDots } from './dot';
import { type VersionSet, collapseToWinner } from './dvvset';
import { VersionArgumentError } from './errors';
import { VersionVector } from './version-vector';

/** Coordinators writing one key; 32 covers a large cluster while bounding per-key overhead. */
export const VECTOR_ENTRIES_MAX = 32;

/** Concurrent values kept per key; beyond it clients could not resolve them anyway. */
export const SIBLINGS_MAX = 16;

export interface VersionSetBounds {
  /** Most entries in a context. Default VECTOR_ENTRIES_MAX (32). */
  readonly vectorEntriesMax?: number;
  /** Most siblings kept before an LWW collapse. Default SIBLINGS_MAX (16). */
  readonly siblingsMax?: number;
}

export interface BoundedVersionSet {
  readonly set: VersionSet;
  /** Context entries pruned (0 when within bounds). */
  readonly prunedEntries: number;
  /** True when the siblings were collapsed to the LWW winner. */
  readonly collapsed: boolean;
}

/** Keeps the `entriesMax` entries greatest in LWW order (dot.ts): largest counter, then actor. */
export function pruneVersionVector(
  vector: VersionVector,
  entriesMax: number = VECTOR_ENTRIES_MAX,
): VersionVector {
  assertLimit('vectorEntriesMax', entriesMax);
  if (vector.size <= entriesMax) return vector;
  const newestFirst = vector
    .entries()
    .sort(([actorA, counterA], [actorB, counterB]) =>
      compareDots({ actor: actorB, counter: counterB }, { actor: actorA, counter: counterA }),
    );
  return VersionVector.from(newestFirst.slice(0, entriesMax));
}

/** Collapses to the LWW winner when there are more than `siblingsMax` siblings. */
export function capSiblings(
  set: VersionSet,
  siblingsMax: number = SIBLINGS_MAX,
): { readonly set: VersionSet; readonly collapsed: boolean } {
  assertLimit('siblingsMax', siblingsMax);
  if (set.siblings.length <= siblingsMax) return { set, collapsed: false };
  return { set: collapseToWinner(set), collapsed: true };
}

export function applyBounds(set: VersionSet, bounds: VersionSetBounds = {}): BoundedVersionSet {
  const context = pruneVersionVector(set.context, bounds.vectorEntriesMax);
  const capped = capSiblings({ context, siblings: set.siblings }, bounds.siblingsMax);
  return {
    set: context === set.context && !capped.collapsed ? set : capped.set,
    prunedEntries: set.context.size - context.size,
    collapsed: capped.collapsed,
  };
}

function assertLimit(name: string, limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new VersionArgumentError(`${name} must be a positive integer, got ${limit}`);
  }
}
