import fc from 'fast-check';
import {
  VersionArgumentError,
  VersionVector,
  compareVersionVectors,
  covers,
  descends,
  dominates,
  joinVersionVectors,
  makeDot,
  versionVectorsEqual,
} from '../src';
import { smallActor, smallCounter, vectorOf } from './arbitraries';

const vv = (entries: Record<string, bigint>): VersionVector =>
  VersionVector.from(Object.entries(entries));

const smallVector = vectorOf(smallActor, smallCounter);

describe('VersionVector', () => {
  it('reads an absent actor as 0', () => {
    expect(vv({ a: 3n }).get('b')).toBe(0n);
  });

  it('lists entries sorted by actor whatever the input order', () => {
    expect(vv({ c: 1n, a: 2n, b: 3n }).entries()).toEqual([
      ['a', 2n],
      ['b', 3n],
      ['c', 1n],
    ]);
  });

  it('rejects a repeated actor', () => {
    expect(() =>
      VersionVector.from([
        ['a', 1n],
        ['a', 2n],
      ]),
    ).toThrow(VersionArgumentError);
  });

  it.each([
    ['zero counter', 'a', 0n],
    ['negative counter', 'a', -1n],
    ['counter above int64', 'a', 1n << 63n],
    ['empty actor', '', 1n],
    ['actor with a lone surrogate', 'a\ud800', 1n],
    ['actor above 255 bytes', 'é'.repeat(128), 1n],
  ])('rejects a %s', (_case, actor, counter) => {
    expect(() => VersionVector.from([[actor, counter]])).toThrow(VersionArgumentError);
  });

  it('accepts the largest int64 counter and a 255-byte actor', () => {
    const actor = 'x'.repeat(255);
    expect(VersionVector.from([[actor, (1n << 63n) - 1n]]).get(actor)).toBe((1n << 63n) - 1n);
  });
});

describe('compareVersionVectors', () => {
  it.each([
    ['equal vectors', { a: 1n, b: 2n }, { b: 2n, a: 1n }, 'equal'],
    ['two empty vectors', {}, {}, 'equal'],
    ['empty before anything', {}, { a: 1n }, 'before'],
    ['a smaller counter', { a: 1n, b: 2n }, { a: 2n, b: 2n }, 'before'],
    ['an extra actor', { a: 1n, b: 1n }, { a: 1n }, 'after'],
    ['crossed counters', { a: 2n, b: 1n }, { a: 1n, b: 2n }, 'concurrent'],
    ['disjoint actors', { a: 1n }, { b: 1n }, 'concurrent'],
  ])('%s', (_case, a, b, order) => {
    expect(compareVersionVectors(vv(a), vv(b))).toBe(order);
  });

  it('dominates is strict and descends is not', () => {
    expect(dominates(vv({ a: 2n }), vv({ a: 1n }))).toBe(true);
    expect(dominates(vv({ a: 1n }), vv({ a: 1n }))).toBe(false);
    expect(descends(vv({ a: 1n }), vv({ a: 1n }))).toBe(true);
    expect(descends(vv({ a: 1n }), vv({ b: 1n }))).toBe(false);
  });

  it('equal means the same counters, not only the same actors', () => {
    expect(versionVectorsEqual(vv({ a: 1n, c: 2n }), vv({ a: 1n, c: 1n }))).toBe(false);
    expect(versionVectorsEqual(vv({ a: 1n, c: 1n }), vv({ a: 1n, c: 2n }))).toBe(false);
    expect(versionVectorsEqual(vv({ a: 1n, c: 2n }), vv({ c: 2n, a: 1n }))).toBe(true);
  });

  it('swapping arguments mirrors the order', () => {
    const mirror = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' };
    fc.assert(
      fc.property(smallVector, smallVector, (a, b) => {
        expect(compareVersionVectors(b, a)).toBe(mirror[compareVersionVectors(a, b)]);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('joinVersionVectors', () => {
  it('takes the pointwise max', () => {
    const joined = joinVersionVectors(vv({ a: 3n, b: 1n }), vv({ b: 5n, c: 2n }));
    expect(joined.entries()).toEqual([
      ['a', 3n],
      ['b', 5n],
      ['c', 2n],
    ]);
  });

  it('of nothing is empty', () => {
    expect(joinVersionVectors().size).toBe(0);
  });

  it('is commutative, associative and idempotent, and descends its inputs', () => {
    fc.assert(
      fc.property(smallVector, smallVector, smallVector, (a, b, c) => {
        const ab = joinVersionVectors(a, b);
        expect(versionVectorsEqual(ab, joinVersionVectors(b, a))).toBe(true);
        expect(
          versionVectorsEqual(
            joinVersionVectors(ab, c),
            joinVersionVectors(a, joinVersionVectors(b, c)),
          ),
        ).toBe(true);
        expect(versionVectorsEqual(joinVersionVectors(a, a), a)).toBe(true);
        expect(descends(ab, a) && descends(ab, b)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('covers', () => {
  it('covers a dot at or below the actor counter only', () => {
    const vector = vv({ a: 5n });
    expect(covers(vector, makeDot('a', 5n))).toBe(true);
    expect(covers(vector, makeDot('a', 4n))).toBe(true);
    expect(covers(vector, makeDot('a', 6n))).toBe(false);
    expect(covers(vector, makeDot('b', 1n))).toBe(false);
  });
});
