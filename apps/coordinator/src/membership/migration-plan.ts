// What a migration moves (docs/architecture.md#membership-and-migrations): for each tenant, the
// token ranges whose replica set differs between the old and the new ring (diffRings), each as
// copy tasks (a destination that gains the range, and the nodes whose data it must hold) and drop
// tasks (a node that loses the range and stays in the cluster, cleaned up last).
//
// Sources (rule 4): one join or leave swaps one replica per range, so the joining node must hold
// what the leaving one held; the copy streams from that leaving replica. If it is down, the
// destination merges from every other replica of `old` instead (a copy from any one of them could
// miss a write the leaving node and one more acknowledged). A replication-factor change, or a
// range that only grows, merges from every replica of `old`.
import { diffRings, type TokenRange } from '@pairdb/hashring';
import type { ConflictPolicy } from '@pairdb/wire-contract';
import type { Tenant } from '../metadata';
import type { ReplicaNode } from '../replicas/replica-transport';
import type { RingView } from '../routing/ring-view';

export interface CopyTask {
  readonly tenantId: string;
  readonly policy: ConflictPolicy;
  readonly range: TokenRange;
  readonly destination: ReplicaNode;
  /** Merged into the destination, each in full. */
  readonly sources: readonly ReplicaNode[];
  /** Used instead when a source is down: every other replica of `old` (empty: none left). */
  readonly fallbackSources: readonly ReplicaNode[];
}

export interface DropTask {
  readonly tenantId: string;
  readonly range: TokenRange;
  readonly node: ReplicaNode;
}

export interface MigrationPlan {
  readonly copies: readonly CopyTask[];
  readonly drops: readonly DropTask[];
}

export function planMigration(view: RingView, tenants: readonly Tenant[]): MigrationPlan {
  const copies: CopyTask[] = [];
  const drops: DropTask[] = [];
  const leaving = view.change?.type === 'node_deletion' ? view.change.nodeId : undefined;
  for (const tenant of tenants) {
    const rings = view.ringsFor(tenant.tenantId, tenant.replicationFactor);
    const moves = diffRings(rings.old, rings.new, rings.oldFactor, rings.newFactor);
    for (const move of moves) {
      const range = { start: move.start, end: move.end };
      const old = move.sourceReplicas.map((id) => rings.old.node(id));
      const swap = move.lost.length === 1 && move.gained.length === 1;
      const factorChange = rings.oldFactor !== rings.newFactor;
      const sources = swap && !factorChange ? [rings.old.node(move.lost[0]!)] : old;
      const fallbackSources = old.filter(
        (node) => !sources.some((source) => source.nodeId === node.nodeId),
      );
      for (const gained of move.gained) {
        copies.push({
          tenantId: tenant.tenantId,
          policy: tenant.conflictResolution,
          range,
          destination: rings.new.node(gained),
          sources,
          fallbackSources,
        });
      }
      for (const lost of move.lost) {
        if (lost !== leaving)
          drops.push({ tenantId: tenant.tenantId, range, node: rings.old.node(lost) });
      }
    }
  }
  return { copies, drops };
}

/** The checkpoint identity of copying `task` from `source`. */
export function copyKey(task: CopyTask, source: ReplicaNode): string {
  return [task.tenantId, task.range.start, source.nodeId, task.destination.nodeId].join('\u0000');
}
