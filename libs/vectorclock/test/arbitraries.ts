// fast-check generators shared by the property tests. Small actor and counter ranges make
// collisions (same actor, same dot, covered dots) common, which is where the laws bite.

import fc from 'fast-check';
import {
  ACTOR_BYTES_MAX,
  COUNTER_MAX,
  type Dot,
  type Sibling,
  type VersionSet,
  VersionVector,
  encodeVersionSet,
  makeDot,
  makeSibling,
  makeVersionSet,
} from '../src';

export const SMALL_ACTORS = ['a', 'b', 'c', 'd'];

export const smallActor = fc.constantFrom(...SMALL_ACTORS);
export const smallCounter = fc.bigInt(1n, 12n);

/** Any well-formed actor: full Unicode, within the byte cap. */
export const anyActor = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 40 })
  .filter((actor) => Buffer.byteLength(actor, 'utf8') <= ACTOR_BYTES_MAX);

/** Counters near both ends of the range, where varint widths change. */
export const anyCounter = fc.oneof(
  smallCounter,
  fc.bigInt(1n, COUNTER_MAX),
  fc.bigInt(COUNTER_MAX - 300n, COUNTER_MAX),
);

export function dotOf(actor: fc.Arbitrary<string>, counter: fc.Arbitrary<bigint>) {
  return fc.tuple(actor, counter).map(([a, c]): Dot => makeDot(a, c));
}

export function vectorOf(
  actor: fc.Arbitrary<string>,
  counter: fc.Arbitrary<bigint>,
  maxLength = 5,
): fc.Arbitrary<VersionVector> {
  return fc
    .uniqueArray(fc.tuple(actor, counter), { selector: ([a]) => a, maxLength })
    .map((entries) => VersionVector.from(entries));
}

const content = fc.oneof(
  fc.uint8Array({ maxLength: 6 }).map((value) => ({ value })),
  fc.constant({ tombstone: true as const }),
);

export function siblingOf(dot: fc.Arbitrary<Dot>): fc.Arbitrary<Sibling> {
  return fc.tuple(dot, content).map(([d, c]) => makeSibling(d, c));
}

/** Arbitrary sets, reachable or not: contexts need not cover the siblings, dots may repeat. */
export function versionSetOf(
  actor: fc.Arbitrary<string>,
  counter: fc.Arbitrary<bigint>,
  siblingsMax = 6,
): fc.Arbitrary<VersionSet> {
  return fc
    .tuple(
      vectorOf(actor, counter),
      fc.array(siblingOf(dotOf(actor, counter)), { maxLength: siblingsMax }),
    )
    .map(([context, siblings]) => makeVersionSet(context, siblings));
}

export const smallVersionSet = versionSetOf(smallActor, smallCounter);
export const anyVersionSet = versionSetOf(anyActor, anyCounter);

export function hex(set: VersionSet): string {
  return Buffer.from(encodeVersionSet(set)).toString('hex');
}

export function dotKey(dot: Dot): string {
  return `${dot.actor}:${dot.counter}`;
}
