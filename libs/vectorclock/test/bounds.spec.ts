import fc from 'fast-check';
import {
  SIBLINGS_MAX,
  VECTOR_ENTRIES_MAX,
  VersionArgumentError,
  VersionVector,
  applyBounds,
  capSiblings,
  compareDots,
  lwwWinner,
  makeDot,
  makeSibling,
  makeVersionSet,
  pruneVersionVector,
} from '../src';
import { hex, smallActor, smallCounter, versionSetOf } from './arbitraries';

const manyActors = fc.constantFrom(...Array.from({ length: 12 }, (_, index) => `n${index}`));
const boundedSet = versionSetOf(manyActors, smallCounter, 10);

function vectorOfSize(size: number): VersionVector {
  return VersionVector.from(
    Array.from({ length: size }, (_, index) => [`actor-${index}`, BigInt(index + 1)] as const),
  );
}

describe('pruneVersionVector', () => {
  it('defaults to 32 entries and 16 siblings', () => {
    expect(VECTOR_ENTRIES_MAX).toBe(32);
    expect(SIBLINGS_MAX).toBe(16);
    expect(pruneVersionVector(vectorOfSize(40)).size).toBe(32);
  });

  it('drops the smallest counters first', () => {
    const pruned = pruneVersionVector(vectorOfSize(40));
    expect(pruned.get('actor-7')).toBe(0n);
    expect(pruned.get('actor-8')).toBe(9n);
    expect(pruned.get('actor-39')).toBe(40n);
  });

  it('breaks a counter tie by keeping the greater actor', () => {
    const vector = VersionVector.from([
      ['a', 5n],
      ['b', 5n],
      ['c', 9n],
    ]);
    expect(pruneVersionVector(vector, 2).entries()).toEqual([
      ['b', 5n],
      ['c', 9n],
    ]);
  });

  it('leaves a vector at the cap untouched', () => {
    const vector = vectorOfSize(32);
    expect(pruneVersionVector(vector)).toBe(vector);
  });

  it.each([0, -1, 1.5, NaN])('rejects a cap of %p', (cap) => {
    expect(() => pruneVersionVector(vectorOfSize(2), cap)).toThrow(VersionArgumentError);
  });
});

describe('capSiblings', () => {
  const seventeen = makeVersionSet(
    VersionVector.EMPTY,
    Array.from({ length: 17 }, (_, index) =>
      makeSibling(makeDot('a', BigInt(index + 1)), { value: new Uint8Array([index]) }),
    ),
  );

  it('17 siblings collapse to the LWW winner and report it', () => {
    const capped = capSiblings(seventeen);
    expect(capped.collapsed).toBe(true);
    expect(capped.set.siblings.map((sibling) => sibling.dot)).toEqual([makeDot('a', 17n)]);
  });

  it('16 siblings stay as they are', () => {
    const sixteen = makeVersionSet(VersionVector.EMPTY, seventeen.siblings.slice(1));
    expect(capSiblings(sixteen)).toEqual({ set: sixteen, collapsed: false });
  });
});

describe('applyBounds', () => {
  it('reports how many entries it pruned', () => {
    const set = makeVersionSet(vectorOfSize(35), []);
    const bounded = applyBounds(set);
    expect(bounded.prunedEntries).toBe(3);
    expect(bounded.collapsed).toBe(false);
  });

  it('drops only what a cap claims: pruned entries are the oldest, siblings kept or collapsed', () => {
    const caps = fc.record({
      vectorEntriesMax: fc.integer({ min: 1, max: 6 }),
      siblingsMax: fc.integer({ min: 1, max: 6 }),
    });
    fc.assert(
      fc.property(boundedSet, caps, (set, bounds) => {
        const bounded = applyBounds(set, bounds);
        const kept = bounded.set.context.entries();
        const dropped = set.context
          .entries()
          .filter(([actor]) => bounded.set.context.get(actor) === 0n);
        expect(kept.length).toBe(Math.min(set.context.size, bounds.vectorEntriesMax));
        expect(bounded.prunedEntries).toBe(dropped.length);
        for (const [actor, counter] of kept) expect(set.context.get(actor)).toBe(counter);
        for (const [oldActor, oldCounter] of dropped) {
          for (const [actor, counter] of kept) {
            const older = makeDot(oldActor, oldCounter);
            expect(compareDots(older, makeDot(actor, counter))).toBeLessThan(0);
          }
        }
        expect(bounded.collapsed).toBe(set.siblings.length > bounds.siblingsMax);
        const expectedSiblings = bounded.collapsed ? [lwwWinner(set)] : set.siblings;
        expect(bounded.set.siblings).toEqual(expectedSiblings);
      }),
      { numRuns: 2000 },
    );
  });

  it('is a no-op within bounds (same bytes, nothing reported)', () => {
    fc.assert(
      fc.property(versionSetOf(smallActor, smallCounter), (set) => {
        const bounded = applyBounds(set);
        expect(hex(bounded.set)).toBe(hex(set));
        expect([bounded.prunedEntries, bounded.collapsed]).toEqual([0, false]);
      }),
      { numRuns: 500 },
    );
  });
});
