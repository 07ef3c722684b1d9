// The layout the driver hands storage nodes is the ring snapshot RingView places under.
import { placementOfLayout } from '@pairdb/hashring';
import type { Migration, RingSnapshot, StorageNode, Tenant } from '../../src/metadata';
import { ringLayoutOf } from '../../src/membership/ring-layout-of';
import { RingView } from '../../src/routing/ring-view';

function node(nodeId: string, status: StorageNode['status']): StorageNode {
  return {
    nodeId,
    host: '127.0.0.1',
    port: 7000 + Number(nodeId.slice(1)),
    status,
    virtualNodes: 16,
    createdAtUnixMs: 0,
    updatedAtUnixMs: 0,
  };
}

const nodes = [node('n1', 'active'), node('n2', 'active'), node('n3', 'joining')];
const tenants = [
  { tenantId: 'a', replicationFactor: 2 },
  { tenantId: 'b', replicationFactor: 1 },
] as Tenant[];
const migration = {
  migrationId: 'm1',
  type: 'node_addition',
  nodeId: 'n3',
  tenantId: null,
  fromReplicationFactor: null,
  toReplicationFactor: null,
  phase: 'data_copy',
  status: 'in_progress',
} as Migration;

describe('ringLayoutOf', () => {
  it('carries the version, every node with its state, the change and each tenant factor', () => {
    const layout = ringLayoutOf({ ringVersion: 9, nodes, migration }, tenants);
    expect(layout.ringVersion).toBe(9n);
    expect(layout.members.map((m) => [m.nodeId, m.port, m.state])).toEqual([
      ['n1', 7001, 'active'],
      ['n2', 7002, 'active'],
      ['n3', 7003, 'joining'],
    ]);
    expect(layout.change).toMatchObject({ migrationId: 'm1', type: 'node_addition', nodeId: 'n3' });
    expect([...layout.replicationFactors]).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(ringLayoutOf({ ringVersion: 10, nodes, migration: null }, tenants).change).toBeNull();
  });

  it('places every key on the same old and new replicas as the coordinator does', () => {
    const snapshot: RingSnapshot = { ringVersion: 9, nodes, migration };
    const placement = placementOfLayout(ringLayoutOf(snapshot, tenants));
    const view = new RingView(9, nodes, migration);
    for (let index = 0; index < 200; index++) {
      const key = `k${index}`;
      const sets = placement.replicaSets('a', key, 2);
      const writes = view.placementOf('a', key, 2).writes;
      const viewIds = [
        ...new Set(writes.flatMap((set) => set.replicas.map((r) => r.nodeId))),
      ].sort();
      const layoutIds = [...new Set([...sets.old, ...sets.new].map((m) => m.nodeId))].sort();
      expect(layoutIds).toEqual(viewIds);
    }
  });
});
