import fc from 'fast-check';
import {
  HashRing,
  keyToken,
  placementOfLayout,
  writtenSets,
  type LayoutChange,
  type LayoutMember,
  type MemberState,
  type RingLayout,
} from '../src';

function member(nodeId: string, state: MemberState): LayoutMember {
  return { nodeId, host: '127.0.0.1', port: 7000, virtualNodes: 16, state };
}

function layout(members: LayoutMember[], change: LayoutChange | null): RingLayout {
  return { ringVersion: 7n, members, change, replicationFactors: new Map([['t', 2]]) };
}

function change(type: LayoutChange['type'], nodeId: string): LayoutChange {
  return {
    migrationId: 'm1',
    type,
    nodeId,
    tenantId: null,
    fromReplicationFactor: null,
    toReplicationFactor: null,
    phase: 'data_copy',
  };
}

/** The preference list of a ring built here from the given node ids, for comparison. */
function expected(nodeIds: string[], tenantId: string, key: string, factor: number): string[] {
  const ring = new HashRing(nodeIds.map((nodeId) => ({ nodeId, virtualNodes: 16 })));
  return ring.preferenceList(keyToken(tenantId, key), factor);
}

const ids = (nodes: readonly LayoutMember[]): string[] => nodes.map((node) => node.nodeId);
const keys = fc.string({ minLength: 1, maxLength: 12 });

describe('placementOfLayout', () => {
  const base = [member('a', 'active'), member('b', 'active'), member('c', 'active')];

  it('without a change, old and new are the active members only', () => {
    const placement = placementOfLayout(layout([...base, member('z', 'inactive')], null));
    fc.assert(
      fc.property(keys, (key) => {
        const sets = placement.replicaSets('t', key, 2);
        expect(ids(sets.old)).toEqual(expected(['a', 'b', 'c'], 't', key, 2));
        expect(ids(sets.new)).toEqual(ids(sets.old));
      }),
    );
  });

  it('a joining node is only ever on the new side', () => {
    const placement = placementOfLayout(
      layout([...base, member('d', 'joining')], change('node_addition', 'd')),
    );
    let gained = 0;
    fc.assert(
      fc.property(keys, (key) => {
        const sets = placement.replicaSets('t', key, 2);
        expect(ids(sets.old)).toEqual(expected(['a', 'b', 'c'], 't', key, 2));
        expect(ids(sets.new)).toEqual(expected(['a', 'b', 'c', 'd'], 't', key, 2));
        if (ids(sets.new).includes('d')) gained++;
      }),
    );
    expect(gained).toBeGreaterThan(0);
  });

  it('a draining node is only ever on the old side', () => {
    const placement = placementOfLayout(
      layout(
        [member('a', 'active'), member('b', 'active'), member('c', 'draining')],
        change('node_deletion', 'c'),
      ),
    );
    fc.assert(
      fc.property(keys, (key) => {
        const sets = placement.replicaSets('t', key, 2);
        expect(ids(sets.old)).toEqual(expected(['a', 'b', 'c'], 't', key, 2));
        expect(ids(sets.new)).toEqual(expected(['a', 'b'], 't', key, 2));
      }),
    );
  });

  it("a factor change uses its own factors for its tenant, the row's for the others", () => {
    const placement = placementOfLayout(
      layout(base, {
        ...change('replication_factor_change', 'a'),
        tenantId: 't',
        fromReplicationFactor: 1,
        toReplicationFactor: 3,
      }),
    );
    const own = placement.replicaSets('t', 'k', 2);
    expect([own.oldFactor, own.newFactor, own.old.length, own.new.length]).toEqual([1, 3, 1, 3]);
    const other = placement.replicaSets('u', 'k', 2);
    expect([other.oldFactor, other.newFactor, other.old.length]).toEqual([2, 2, 2]);
  });

  it('an empty layout places nothing instead of throwing', () => {
    const sets = placementOfLayout(layout([], null)).replicaSets('t', 'k', 2);
    expect([sets.old, sets.new]).toEqual([[], []]);
  });
});

describe('writtenSets', () => {
  it('follows the phase table of docs/architecture.md#membership-and-migrations', () => {
    const table: Array<[string | undefined, boolean, boolean]> = [
      [undefined, true, false],
      ['dual_write', true, true],
      ['data_copy', true, true],
      ['cutover', true, true],
      ['cleanup', false, true],
      ['rolling_back', true, false],
    ];
    for (const [phase, old, next] of table) {
      expect({ phase, ...writtenSets(phase) }).toEqual({ phase, old, new: next });
    }
  });
});
