// Measured balance and movement on realistic rings: 150 vnodes per node, 100k keys. The
// figures are printed as tables; the assertions are the bounds the design relies on.
import { DEFAULT_VIRTUAL_NODES, HashRing, keyToken } from '../src';

const KEY_COUNT = 100_000;
const NODE_COUNTS = [3, 4, 5, 6, 7, 8, 9, 10];
/** Busiest node over the mean: the most skew a cluster of equal nodes should see. */
const BALANCE_MAX_OVER_MEAN = 1.25;
/** Allowed relative error of the measured share of keys a new node takes. */
const MOVE_RELATIVE_TOLERANCE = 0.25;
const REPLICATION_FACTOR = 3;

const keyTokens = Array.from({ length: KEY_COUNT }, (_, index) =>
  keyToken(`tenant-${index % 7}`, `key-${index}`),
);

function equalNodes(count: number): HashRing {
  return new HashRing(
    Array.from({ length: count }, (_, index) => ({ nodeId: `node-${index + 1}` })),
  );
}

describe(`balance with ${DEFAULT_VIRTUAL_NODES} vnodes per node over ${KEY_COUNT} keys`, () => {
  it(`the busiest node holds at most ${BALANCE_MAX_OVER_MEAN}x the mean for 3..10 nodes`, () => {
    const rows = NODE_COUNTS.map((nodeCount) => {
      const ring = equalNodes(nodeCount);
      const counts = new Map<string, number>();
      for (const token of keyTokens) {
        const primary = ring.primary(token);
        counts.set(primary, (counts.get(primary) ?? 0) + 1);
      }
      const mean = KEY_COUNT / nodeCount;
      const maxOverMean = Math.max(...counts.values()) / mean;
      const minOverMean = Math.min(...ring.nodeIds().map((id) => counts.get(id) ?? 0)) / mean;
      return { nodes: nodeCount, maxOverMean: round(maxOverMean), minOverMean: round(minOverMean) };
    });
    console.table(rows);
    for (const row of rows) expect(row.maxOverMean).toBeLessThanOrEqual(BALANCE_MAX_OVER_MEAN);
  });
});

describe('adding an (n+1)th node', () => {
  it('moves about 1/(n+1) of primaries, all of them onto the new node', () => {
    const rows = NODE_COUNTS.slice(0, -1).map((nodeCount) => {
      const before = equalNodes(nodeCount);
      const after = equalNodes(nodeCount + 1);
      const newNode = `node-${nodeCount + 1}`;
      let moved = 0;
      let movedElsewhere = 0;
      for (const token of keyTokens) {
        const primary = after.primary(token);
        if (primary === before.primary(token)) continue;
        moved += 1;
        if (primary !== newNode) movedElsewhere += 1;
      }
      const expected = 1 / (nodeCount + 1);
      return {
        from: nodeCount,
        moved: round(moved / KEY_COUNT),
        expected: round(expected),
        movedElsewhere,
      };
    });
    console.table(rows);
    for (const row of rows) {
      expect(row.movedElsewhere).toBe(0);
      expect(Math.abs(row.moved - row.expected) / row.expected).toBeLessThan(
        MOVE_RELATIVE_TOLERANCE,
      );
    }
  });

  // The analogue for preference lists of length rf: the new list is the old one with the new
  // node inserted somewhere and the old last entry dropped; the others keep their order. So a
  // key's replica set changes in exactly one node, and that happens for about rf/(n+1) of keys.
  it(`changes about ${REPLICATION_FACTOR}/(n+1) of replica sets, each by one swap for the new node`, () => {
    const rows = NODE_COUNTS.slice(0, -1).map((nodeCount) => {
      const before = equalNodes(nodeCount);
      const after = equalNodes(nodeCount + 1);
      const newNode = `node-${nodeCount + 1}`;
      let changed = 0;
      let violations = 0;
      for (const token of keyTokens) {
        const oldList = before.preferenceList(token, REPLICATION_FACTOR);
        const newList = after.preferenceList(token, REPLICATION_FACTOR);
        if (!newList.includes(newNode)) {
          if (newList.join() !== oldList.join()) violations += 1;
          continue;
        }
        changed += 1;
        const withoutNew = newList.filter((nodeId) => nodeId !== newNode);
        if (withoutNew.join() !== oldList.slice(0, -1).join()) violations += 1;
      }
      const expected = REPLICATION_FACTOR / (nodeCount + 1);
      return {
        from: nodeCount,
        changed: round(changed / KEY_COUNT),
        expected: round(expected),
        violations,
      };
    });
    console.table(rows);
    for (const row of rows) {
      expect(row.violations).toBe(0);
      expect(Math.abs(row.changed - row.expected) / row.expected).toBeLessThan(
        MOVE_RELATIVE_TOLERANCE,
      );
    }
  });
});

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
