// The phase table of docs/architecture.md#membership-and-migrations, checked against rings
// computed here: which replica sets reads and writes use while a node joins, leaves, or a
// tenant's factor changes.
import { HashRing, keyToken } from '@pairdb/hashring';
import type { MigrationPhase, StorageNode } from '../../src/metadata';
import { RingView, type RingChange } from '../../src/routing/ring-view';

function node(id: string, status: StorageNode['status'] = 'active'): StorageNode {
  return {
    nodeId: id,
    host: '127.0.0.1',
    port: 7000,
    status,
    virtualNodes: 16,
    createdAtUnixMs: 0,
    updatedAtUnixMs: 0,
  };
}

function change(overrides: Partial<RingChange>): RingChange {
  return {
    migrationId: 'm',
    type: 'node_addition',
    nodeId: 'n4',
    tenantId: null,
    fromReplicationFactor: null,
    toReplicationFactor: null,
    phase: 'dual_write',
    ...overrides,
  };
}

const ids = (nodes: readonly { nodeId: string }[]) => nodes.map((n) => n.nodeId).sort();
const ring = (members: string[]) =>
  new HashRing(members.map((nodeId) => ({ nodeId, virtualNodes: 16 })));
const KEYS = Array.from({ length: 200 }, (_, i) => `key-${i}`);

describe('RingView placement while a node joins', () => {
  const nodes = [node('n1'), node('n2'), node('n3'), node('n4', 'joining')];
  const before = ring(['n1', 'n2', 'n3']);
  const after = ring(['n1', 'n2', 'n3', 'n4']);
  const moving = KEYS.filter((key) => after.preferenceList(keyToken('t', key), 2).includes('n4'));

  it.each<[MigrationPhase, 'old' | 'new', Array<'old' | 'new'>]>([
    ['dual_write', 'old', ['old', 'new']],
    ['data_copy', 'old', ['old', 'new']],
    ['cutover', 'new', ['old', 'new']],
    ['cleanup', 'new', ['new']],
    ['rolling_back', 'old', ['old']],
  ])('in %s reads use %s and writes need W in %j', (phase, reads, writes) => {
    const view = new RingView(7, nodes, change({ phase }));
    expect(moving.length).toBeGreaterThan(0);
    for (const key of moving) {
      const token = keyToken('t', key);
      const sets = {
        old: before.preferenceList(token, 2).sort(),
        new: after.preferenceList(token, 2).sort(),
      };
      const placement = view.placementOf('t', key, 2);
      expect(placement.ringVersion).toBe(7);
      expect(ids(placement.reads.replicas)).toEqual(sets[reads]);
      expect(placement.writes.map((set) => ids(set.replicas))).toEqual(
        writes.map((side) => sets[side]),
      );
      // Hint stand-ins never include a node of a write set.
      const targets = placement.writes.flatMap((set) => ids(set.replicas));
      expect(ids(placement.standIns).filter((id) => targets.includes(id))).toEqual([]);
    }
  });

  it('keeps the joining node a member while rolling back, though no key is placed on it', () => {
    const view = new RingView(7, nodes, change({ phase: 'rolling_back' }));
    // The driver raises the fence of every member and drops the ranges the joining node got.
    expect(ids(view.members())).toEqual(['n1', 'n2', 'n3', 'n4']);
    for (const key of KEYS) {
      const placement = view.placementOf('t', key, 2);
      const placed = [placement.reads, ...placement.writes].flatMap((set) => ids(set.replicas));
      expect([...placed, ...ids(placement.standIns)]).not.toContain('n4');
    }
  });

  it('a key whose replicas do not change has one set', () => {
    const view = new RingView(7, nodes, change({ phase: 'data_copy' }));
    const still = KEYS.find((key) => !moving.includes(key))!;
    expect(view.placementOf('t', still, 2).writes).toHaveLength(1);
  });
});

describe('RingView placement while a node leaves or a factor changes', () => {
  it('a draining node is in old, not in new', () => {
    const nodes = [node('n1'), node('n2'), node('n3', 'draining'), node('n4')];
    const deletion = change({ type: 'node_deletion', nodeId: 'n3', phase: 'cutover' });
    const view = new RingView(3, nodes, deletion);
    const before = ring(['n1', 'n2', 'n3', 'n4']);
    const after = ring(['n1', 'n2', 'n4']);
    let moved = 0;
    for (const key of KEYS) {
      const token = keyToken('t', key);
      const placement = view.placementOf('t', key, 2);
      expect(ids(placement.reads.replicas)).toEqual(after.preferenceList(token, 2).sort());
      if (before.preferenceList(token, 2).includes('n3')) {
        moved++;
        expect(placement.writes.map((set) => ids(set.replicas))).toEqual([
          before.preferenceList(token, 2).sort(),
          after.preferenceList(token, 2).sort(),
        ]);
      } else {
        expect(placement.writes).toHaveLength(1);
      }
    }
    expect(moved).toBeGreaterThan(0);
  });

  it('a removal rolling back places keys on the old ring, the draining node included', () => {
    const nodes = [node('n1'), node('n2'), node('n3', 'draining'), node('n4')];
    const view = new RingView(
      4,
      nodes,
      change({ type: 'node_deletion', nodeId: 'n3', phase: 'rolling_back' }),
    );
    const before = ring(['n1', 'n2', 'n3', 'n4']);
    let onDraining = 0;
    for (const key of KEYS) {
      const owners = before.preferenceList(keyToken('t', key), 2).sort();
      const placement = view.placementOf('t', key, 2);
      expect(ids(placement.reads.replicas)).toEqual(owners);
      expect(placement.writes.map((set) => ids(set.replicas))).toEqual([owners]);
      if (owners.includes('n3')) onDraining++;
    }
    expect(onDraining).toBeGreaterThan(0);
  });

  it('a factor change rolling back reads and writes at the old factor only', () => {
    const nodes = [node('n1'), node('n2'), node('n3'), node('n4')];
    const view = new RingView(
      5,
      nodes,
      change({
        type: 'replication_factor_change',
        nodeId: '',
        tenantId: 'grow',
        fromReplicationFactor: 1,
        toReplicationFactor: 3,
        phase: 'rolling_back',
      }),
    );
    const placement = view.placementOf('grow', 'k', 3);
    expect(placement.reads.replicationFactor).toBe(1);
    expect(placement.writes.map((set) => [set.replicationFactor, set.replicas.length])).toEqual([
      [1, 1],
    ]);
  });

  it("takes the migrating tenant's factors from the migration, other tenants keep theirs", () => {
    const nodes = [node('n1'), node('n2'), node('n3'), node('n4')];
    const view = new RingView(
      5,
      nodes,
      change({
        type: 'replication_factor_change',
        nodeId: '',
        tenantId: 'grow',
        fromReplicationFactor: 1,
        toReplicationFactor: 3,
        phase: 'data_copy',
      }),
    );
    const growing = view.placementOf('grow', 'k', 1);
    expect(growing.reads.replicationFactor).toBe(1);
    expect(growing.writes.map((set) => set.replicas.length)).toEqual([1, 3]);
    const other = view.placementOf('other', 'k', 2);
    expect(other.writes).toHaveLength(1);
    expect(other.writes[0]!.replicas).toHaveLength(2);
  });
});
