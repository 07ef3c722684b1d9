// The layout of a ring version as the migration driver sends it to storage nodes with each fence
// raise (docs/architecture.md#fencing): the registered nodes, the running migration and every
// tenant's replication factor, read from the metadata store in one snapshot.
import type { RingLayout } from '@pairdb/hashring';
import type { RingSnapshot, Tenant } from '../metadata';

export function ringLayoutOf(snapshot: RingSnapshot, tenants: readonly Tenant[]): RingLayout {
  const migration = snapshot.migration;
  return {
    ringVersion: BigInt(snapshot.ringVersion),
    members: snapshot.nodes.map((node) => ({
      nodeId: node.nodeId,
      host: node.host,
      port: node.port,
      virtualNodes: node.virtualNodes,
      state: node.status,
    })),
    // The unfinished migration, as RingView (routing/ring-view.ts) places under it.
    change: migration
      ? {
          migrationId: migration.migrationId,
          type: migration.type,
          nodeId: migration.nodeId,
          tenantId: migration.tenantId,
          fromReplicationFactor: migration.fromReplicationFactor,
          toReplicationFactor: migration.toReplicationFactor,
          phase: migration.phase,
        }
      : null,
    replicationFactors: new Map(tenants.map((t) => [t.tenantId, t.replicationFactor])),
  };
}
