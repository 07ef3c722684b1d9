// Dotted version vector sets (DVVSet): the state of one key on one replica
// (docs/architecture.md#data-model).
//
// A set is a causal context (a version vector: the writes this state has seen) plus siblings,
// each the value or tombstone written by one event, its dot. Siblings are kept sorted by dot
// (LWW order, dot.ts) with no dot twice, so equal sets encode to equal bytes (encoding.ts).
//
// Operations:
// - update(set, clientContext, dot, value): a write that read `clientContext`. A dot the set
//   already holds, or that its context covers (a client wrote over it), changes nothing, so a
//   resent write is harmless. Otherwise drops exactly the siblings whose dots clientContext
//   covers and adds the new sibling; context = join(set.context, clientContext).
// - sync(a, b): replica-to-replica merge. Keeps a sibling of either side if the other side also
//   has it or the other side's context does not cover its dot; context = join(a, b).
//
// The context holds only what clients claimed to have read, never a write's own dot: a
// sibling's dot is known by its presence. That is what keeps the per-actor-maximum vectors
// exact for replicas: coordinators issue dots from their HLC without reading the key, so a
// replica may receive (A, 11) but miss (A, 10); (A, 10) is still not covered there, and a
// later sync or hint brings it in instead of dropping it.
//
// Laws (checked by test/dvvset.laws.spec.ts over thousands of random histories; equality is
// equality of canonical encodings):
// 1. sync(a, b) = sync(b, a); sync(sync(a, b), c) = sync(a, sync(b, c)); sync(a, a) = a.
//    They hold for any sets: a dot survives a chain of syncs iff some side holds it and no side
//    lacking it covers it, whatever the grouping.
// 2. update(s, readContext(s), d, v) leaves exactly one sibling, d.
// 3. update(update(s, c, d1, v1), c, d2, v2) with d1 != d2 both not covered by c keeps d1 and d2
//    (with c = readContext(s), exactly those two): concurrent writers become siblings.
// 4. No lost writes. Take any history of updates and syncs over some replicas, each write
//    delivered to any subset of replicas. A replica has *heard of* a dot or a client context if
//    an update carrying it reached the replica directly or through a chain of syncs. Then at
//    every replica R the sibling dots are exactly the dots R has heard of that no client context
//    R has heard of covers. So a write is dropped only when a client that saw it wrote over it.
// 5. Two siblings with the same dot are the same write. If their contents ever differ (a bug
//    elsewhere), the greater content (tombstone above value, then bytes) is kept, so merges stay
//    deterministic and laws 1 still hold.
// 6. update is idempotent: applying the same write twice equals applying it once.
//
// Remaining limitation: a client context is a per-actor maximum, so a client that read (A, 11)
// is taken to have read (A, 10) too. Reads merge R replicas before answering, so the client
// normally did see both; only a read that missed (A, 10) on every replica it asked can then
// write over it.
//
// Bounds (vector entries, sibling count) are applied by bounds.ts, never here.

import { compareDots, dotsEqual, type Dot } from './dot';
import { VersionArgumentError } from './errors';
import { covers, joinVersionVectors, VersionVector, versionVectorsEqual } from './version-vector';

export interface ValueSibling {
  readonly dot: Dot;
  readonly value: Uint8Array;
  readonly tombstone?: never;
}

export interface TombstoneSibling {
  readonly dot: Dot;
  readonly tombstone: true;
}

export type Sibling = ValueSibling | TombstoneSibling;

/** What a write stores: bytes, or a tombstone for a delete. */
export type WriteContent = { readonly value: Uint8Array } | { readonly tombstone: true };

export interface VersionSet {
  readonly context: VersionVector;
  /** Sorted by dot, no dot twice. Build sets with makeVersionSet to get that for free. */
  readonly siblings: readonly Sibling[];
}

export const EMPTY_VERSION_SET: VersionSet = { context: VersionVector.EMPTY, siblings: [] };

/** A set from any context and siblings: sorts siblings and keeps one per dot (law 5). */
export function makeVersionSet(context: VersionVector, siblings: readonly Sibling[]): VersionSet {
  return { context, siblings: canonicalSiblings(siblings) };
}

export function isTombstone(sibling: Sibling): sibling is TombstoneSibling {
  return sibling.tombstone === true;
}

export function makeSibling(dot: Dot, content: WriteContent): Sibling {
  if ('tombstone' in content && content.tombstone === true) return { dot, tombstone: true };
  if (!('value' in content) || !(content.value instanceof Uint8Array)) {
    throw new VersionArgumentError('a write needs a Uint8Array value or tombstone: true');
  }
  return { dot, value: content.value };
}

export function update(
  set: VersionSet,
  clientContext: VersionVector,
  dot: Dot,
  content: WriteContent,
): VersionSet {
  if (covers(set.context, dot) || hasDot(set, dot)) return set;
  const kept = set.siblings.filter((sibling) => !covers(clientContext, sibling.dot));
  kept.push(makeSibling(dot, content));
  return {
    context: joinVersionVectors(set.context, clientContext),
    siblings: canonicalSiblings(kept),
  };
}

export function sync(a: VersionSet, b: VersionSet): VersionSet {
  const kept: Sibling[] = [];
  for (const sibling of a.siblings) {
    if (hasDot(b, sibling.dot) || !covers(b.context, sibling.dot)) kept.push(sibling);
  }
  for (const sibling of b.siblings) {
    if (hasDot(a, sibling.dot) || !covers(a.context, sibling.dot)) kept.push(sibling);
  }
  return {
    context: joinVersionVectors(a.context, b.context),
    siblings: canonicalSiblings(kept),
  };
}

/** Siblings holding a value (not tombstones), in dot order. */
export function liveValues(set: VersionSet): ValueSibling[] {
  return set.siblings.filter((sibling): sibling is ValueSibling => !isTombstone(sibling));
}

/** True when no sibling holds a value: the key was deleted or never written. */
export function isDeleted(set: VersionSet): boolean {
  return liveValues(set).length === 0;
}

/** The sibling with the greatest (counter, actor), tombstones included; undefined if none. */
export function lwwWinner(set: VersionSet): Sibling | undefined {
  let winner: Sibling | undefined;
  for (const sibling of set.siblings) {
    if (winner === undefined || compareDots(sibling.dot, winner.dot) > 0) winner = sibling;
  }
  return winner;
}

/**
 * Equal sets, as equal canonical encodings would say, without encoding both: siblings are kept
 * sorted by dot with no dot twice, so equal sets pair up in order. Read repair and anti-entropy
 * repair a replica whose set is not equal to the merge of all replies.
 */
export function versionSetsEqual(a: VersionSet, b: VersionSet): boolean {
  if (a.siblings.length !== b.siblings.length) return false;
  if (!versionVectorsEqual(a.context, b.context)) return false;
  return a.siblings.every((sibling, index) => {
    const other = b.siblings[index]!;
    if (!dotsEqual(sibling.dot, other.dot)) return false;
    if (isTombstone(sibling) || isTombstone(other))
      return isTombstone(sibling) === isTombstone(other);
    return Buffer.compare(sibling.value, other.value) === 0;
  });
}

/** The LWW policy: keep only the winner; the context is unchanged (it still saw the losers). */
export function collapseToWinner(set: VersionSet): VersionSet {
  const winner = lwwWinner(set);
  if (winner === undefined || set.siblings.length === 1) return set;
  return { context: set.context, siblings: [winner] };
}

/**
 * The context a read hands back to the client: the set's context joined with every sibling dot,
 * so a write that follows it covers (and replaces) every sibling the client saw, even after the
 * set's own context was pruned.
 */
export function readContext(set: VersionSet): VersionVector {
  return joinVersionVectors(
    set.context,
    ...set.siblings.map((sibling) => VersionVector.ofDot(sibling.dot)),
  );
}

function hasDot(set: VersionSet, dot: Dot): boolean {
  return set.siblings.some((sibling) => dotsEqual(sibling.dot, dot));
}

function canonicalSiblings(siblings: readonly Sibling[]): Sibling[] {
  const sorted = [...siblings].sort(
    (a, b) => compareDots(a.dot, b.dot) || compareSiblingContent(a, b),
  );
  const unique: Sibling[] = [];
  for (const sibling of sorted) {
    const last = unique[unique.length - 1];
    if (last !== undefined && dotsEqual(last.dot, sibling.dot)) unique[unique.length - 1] = sibling;
    else unique.push(sibling);
  }
  return unique;
}

/** Orders the contents of two siblings: value below tombstone, values by bytes (law 5). */
function compareSiblingContent(a: Sibling, b: Sibling): number {
  if (isTombstone(a) || isTombstone(b)) return Number(isTombstone(a)) - Number(isTombstone(b));
  return compareBytes(a.value, b.value);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const difference = (a[index] as number) - (b[index] as number);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}
