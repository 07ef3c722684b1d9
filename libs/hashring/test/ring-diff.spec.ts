import fc from 'fast-check';
import { HashRing, TOKEN_SPACE, diffRings, rangeContains, rangeWidth } from '../src';
import { probeToken, ringMembers } from './ring-model';

function sameSet(left: readonly string[], right: readonly string[]): boolean {
  return left.length === right.length && left.every((nodeId) => right.includes(nodeId));
}

describe('diffRings', () => {
  it('a token is in exactly one move iff its replica set changes, and the move says how', () => {
    const twoRings = fc
      .tuple(ringMembers(6, 12), ringMembers(6, 12))
      .chain(([source, target]) =>
        fc.tuple(
          fc.constant(source),
          fc.constant(target),
          fc.array(fc.oneof(probeToken(source), probeToken(target)), { maxLength: 20 }),
          fc.integer({ min: 1, max: 4 }),
        ),
      );
    fc.assert(
      fc.property(twoRings, ([sourceNodes, targetNodes, tokens, replicationFactor]) => {
        const source = new HashRing(sourceNodes);
        const target = new HashRing(targetNodes);
        const moves = diffRings(source, target, replicationFactor);
        for (const token of tokens) {
          const before = source.preferenceList(token, replicationFactor);
          const after = target.preferenceList(token, replicationFactor);
          const containing = moves.filter((move) => rangeContains(move, token));
          if (sameSet(before, after)) {
            expect(containing).toEqual([]);
          } else {
            expect(containing).toHaveLength(1);
            expect(containing[0].sourceReplicas).toEqual(before);
            expect(containing[0].targetReplicas).toEqual(after);
            expect(containing[0].gained).toEqual(after.filter((id) => !before.includes(id)));
            expect(containing[0].lost).toEqual(before.filter((id) => !after.includes(id)));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a replication-factor change on one ring: a token moves iff its two lists differ', () => {
    const ringAndFactors = ringMembers(6, 12).chain((nodes) =>
      fc.tuple(
        fc.constant(nodes),
        fc.array(probeToken(nodes), { maxLength: 20 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
      ),
    );
    fc.assert(
      fc.property(ringAndFactors, ([nodes, tokens, fromFactor, toFactor]) => {
        const ring = new HashRing(nodes);
        const moves = diffRings(ring, ring, fromFactor, toFactor);
        for (const token of tokens) {
          const before = ring.preferenceList(token, fromFactor);
          const after = ring.preferenceList(token, toFactor);
          const containing = moves.filter((move) => rangeContains(move, token));
          if (sameSet(before, after)) {
            expect(containing).toEqual([]);
          } else {
            expect(containing).toHaveLength(1);
            // Raising the factor only gains replicas; lowering it only loses them.
            if (toFactor > fromFactor) expect(containing[0].lost).toEqual([]);
            if (toFactor < fromFactor) expect(containing[0].gained).toEqual([]);
            expect(containing[0].targetReplicas).toEqual(after);
          }
        }
      }),
    );
  });

  it('reports nothing between a ring and itself, even rebuilt in another order', () => {
    const nodes = ['a', 'b', 'c', 'd'].map((nodeId) => ({ nodeId, virtualNodes: 32 }));
    expect(diffRings(new HashRing(nodes), new HashRing([...nodes].reverse()), 3)).toEqual([]);
  });

  it('from an empty ring, the whole ring is gained by its replicas', () => {
    const target = new HashRing([{ nodeId: 'a', virtualNodes: 8 }]);
    const moves = diffRings(new HashRing([]), target, 3);
    expect(moves).toHaveLength(1);
    expect(rangeWidth(moves[0])).toBe(TOKEN_SPACE);
    expect(moves[0].gained).toEqual(['a']);
    expect(moves[0].sourceReplicas).toEqual([]);
  });

  it('shrinking below the replication factor loses the removed node without a gain', () => {
    const source = new HashRing(['a', 'b', 'c'].map((nodeId) => ({ nodeId, virtualNodes: 8 })));
    const target = new HashRing(['a', 'b'].map((nodeId) => ({ nodeId, virtualNodes: 8 })));
    const moves = diffRings(source, target, 3);
    expect(moves.reduce((sum, move) => sum + rangeWidth(move), 0n)).toBe(TOKEN_SPACE);
    expect(moves.every((move) => move.gained.length === 0)).toBe(true);
    expect(moves.every((move) => move.lost.length === 1 && move.lost[0] === 'c')).toBe(true);
  });

  it('adding a node: every move gains exactly the new node and loses exactly one old node', () => {
    const before = ['n1', 'n2', 'n3', 'n4'].map((nodeId) => ({ nodeId }));
    const source = new HashRing(before);
    const target = new HashRing([...before, { nodeId: 'n5' }]);
    const moves = diffRings(source, target, 3);
    expect(moves.length).toBeGreaterThan(0);
    for (const move of moves) {
      expect(move.gained).toEqual(['n5']);
      expect(move.lost).toHaveLength(1);
    }
    // The new node ends up replicating exactly the arcs gained by it.
    const moved = moves.reduce((sum, move) => sum + rangeWidth(move), 0n);
    const share = Number(moved) / Number(TOKEN_SPACE);
    expect(share).toBeCloseTo(target.ownership(3).get('n5')!, 9);
  });

  it('removing a node: every move loses exactly the removed node', () => {
    const after = ['n1', 'n2', 'n3', 'n4'].map((nodeId) => ({ nodeId }));
    const moves = diffRings(new HashRing([...after, { nodeId: 'n5' }]), new HashRing(after), 3);
    expect(moves.length).toBeGreaterThan(0);
    expect(moves.every((move) => move.lost.length === 1 && move.lost[0] === 'n5')).toBe(true);
  });
});
