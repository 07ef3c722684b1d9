import fc from 'fast-check';
import {
  HashRing,
  TOKEN_MAX,
  TOKEN_SPACE,
  UnknownNodeError,
  rangeContains,
  rangeWidth,
  type ReplicatedRange,
} from '../src';
import { probeToken, ringMembers } from './ring-model';

describe('rangeContains and rangeWidth', () => {
  it('excludes the start and includes the end of a plain range', () => {
    const range = { start: 10n, end: 20n };
    expect([9n, 10n, 11n, 20n, 21n].map((t) => rangeContains(range, t))).toEqual([
      false,
      false,
      true,
      true,
      false,
    ]);
    expect(rangeWidth(range)).toBe(10n);
  });

  it('wraps past TOKEN_MAX to 0 when end <= start', () => {
    const range = { start: TOKEN_MAX - 1n, end: 1n };
    const probes = [TOKEN_MAX - 1n, TOKEN_MAX, 0n, 1n, 2n];
    expect(probes.map((t) => rangeContains(range, t))).toEqual([false, true, true, true, false]);
    expect(rangeWidth(range)).toBe(3n);
  });

  it('treats start === end as the whole ring', () => {
    const range = { start: 7n, end: 7n };
    expect([0n, 7n, 8n, TOKEN_MAX].every((t) => rangeContains(range, t))).toBe(true);
    expect(rangeWidth(range)).toBe(TOKEN_SPACE);
  });
});

function replicasFromRanges(ranges: readonly ReplicatedRange[], token: bigint): string[][] {
  return ranges.filter((range) => rangeContains(range, token)).map((range) => [...range.replicas]);
}

describe('HashRing.ranges', () => {
  it('for every token, exactly one range holds it, with the preference list as replicas', () => {
    fc.assert(
      fc.property(
        ringMembers().chain((nodes) =>
          fc.tuple(
            fc.constant(nodes),
            fc.array(probeToken(nodes), { minLength: 1, maxLength: 20 }),
            fc.integer({ min: 1, max: 5 }),
          ),
        ),
        ([nodes, tokens, replicationFactor]) => {
          const ring = new HashRing(nodes);
          const ranges = ring.ranges(replicationFactor);
          for (const token of tokens) {
            expect(replicasFromRanges(ranges, token)).toEqual([
              ring.preferenceList(token, replicationFactor),
            ]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('partitions the ring: sorted by end, each range starts where the previous ended', () => {
    fc.assert(
      fc.property(ringMembers(), fc.integer({ min: 1, max: 4 }), (nodes, replicationFactor) => {
        const ranges = new HashRing(nodes).ranges(replicationFactor);
        const total = ranges.reduce((sum, range) => sum + rangeWidth(range), 0n);
        expect(total).toBe(TOKEN_SPACE);
        ranges.forEach((range, index) => {
          const previous = ranges[(index + ranges.length - 1) % ranges.length];
          expect(range.start).toBe(previous.end);
          if (index > 0) expect(range.end > previous.end).toBe(true);
        });
      }),
    );
  });

  it('merges neighbours with the same replicas, so a one-node ring is one whole-ring range', () => {
    const ranges = new HashRing([{ nodeId: 'solo', virtualNodes: 20 }]).ranges(3);
    expect(ranges).toHaveLength(1);
    expect(ranges[0].start).toBe(ranges[0].end);
    expect(ranges[0].replicas).toEqual(['solo']);
  });

  it('never leaves two neighbouring ranges with the same replica list', () => {
    fc.assert(
      fc.property(ringMembers(), fc.integer({ min: 1, max: 4 }), (nodes, replicationFactor) => {
        const ranges = new HashRing(nodes).ranges(replicationFactor);
        if (ranges.length < 2) return;
        ranges.forEach((range, index) => {
          const next = ranges[(index + 1) % ranges.length];
          expect(next.replicas).not.toEqual(range.replicas);
        });
      }),
    );
  });

  it('rangesOf keeps exactly the ranges a node replicates', () => {
    const ring = new HashRing(['a', 'b', 'c', 'd'].map((nodeId) => ({ nodeId, virtualNodes: 8 })));
    const ofB = ring.rangesOf('b', 2);
    expect(ofB.length).toBeGreaterThan(0);
    expect(ofB.every((range) => range.replicas.includes('b'))).toBe(true);
    const others = ring.ranges(2).filter((range) => !range.replicas.includes('b'));
    expect(ofB.length + others.length).toBe(ring.ranges(2).length);
    expect(() => ring.rangesOf('z', 2)).toThrow(UnknownNodeError);
  });
});

describe('HashRing.ownership', () => {
  it('sums to min(replicationFactor, size) and weights nodes by their vnode count', () => {
    const ring = new HashRing([
      { nodeId: 'small', virtualNodes: 100 },
      { nodeId: 'large', virtualNodes: 300 },
    ]);
    const primary = ring.ownership();
    expect(primary.get('small')! + primary.get('large')!).toBeCloseTo(1, 12);
    expect(primary.get('large')! / primary.get('small')!).toBeGreaterThan(2);
    const replicated = ring.ownership(3);
    expect(replicated.get('small')).toBeCloseTo(1, 12);
    expect(replicated.get('large')).toBeCloseTo(1, 12);
  });

  it('agrees with the share of sampled tokens each node is primary for', () => {
    const ring = new HashRing(['a', 'b', 'c'].map((nodeId) => ({ nodeId, virtualNodes: 16 })));
    const samples = 20_000;
    const counts = new Map<string, number>();
    const step = TOKEN_SPACE / BigInt(samples);
    for (let index = 0n; index < BigInt(samples); index++) {
      const primary = ring.primary(index * step);
      counts.set(primary, (counts.get(primary) ?? 0) + 1);
    }
    for (const [nodeId, fraction] of ring.ownership()) {
      expect(Math.abs((counts.get(nodeId) ?? 0) / samples - fraction)).toBeLessThan(0.01);
    }
  });
});
