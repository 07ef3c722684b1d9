// One ring version as the request paths see it (docs/architecture.md#membership-and-migrations).
//
// Outside a migration a key has one replica set. While a migration runs, a key in a moving range
// has two: `old` (its preference list before the change) and `new` (after it). The phase decides
// which of them the paths use:
//
//   phase               reads from   writes need W acks in
//   dual_write          old          old and new
//   data_copy           old          old and new
//   cutover             new          old and new
//   cleanup             new          new
//   rolling_back        old          old
//
// The write column is writtenSets (@pairdb/hashring), which storage nodes judge ownership by.
// rolling_back undoes a migration before cutover: once every coordinator has taken it, nothing
// writes to `new` any more, so the driver can drop what the destinations received. Its nodes
// stay members (members()) until then, so the driver still raises their fences and drops there.
// A node in both sets counts for both; a hint counts for neither. A tenant's replication factor
// during its own factor change comes from the migration, never from a cached tenant row.
import {
  keyToken,
  RingPlacement,
  writtenSets,
  type HashRing,
  type RingNode,
  type Token,
} from '@pairdb/hashring';
import type { MigrationPhase, MigrationType, StorageNode } from '../metadata';
import type { ReplicaNode } from '../replicas/replica-transport';

/** Nodes past the replicas that may hold a hint: enough to ride out a few failures at once. */
export const STAND_INS_MAX = 3;

/** What of a migration shapes placement (a Migration row has these fields and more). */
export interface RingChange {
  readonly migrationId: string;
  readonly type: MigrationType;
  readonly nodeId: string;
  readonly tenantId: string | null;
  readonly fromReplicationFactor: number | null;
  readonly toReplicationFactor: number | null;
  readonly phase: MigrationPhase;
}

/** Replicas that must reach a quorum among themselves, and the factor that quorum is of. */
export interface ReplicaSet {
  readonly replicas: readonly ReplicaNode[];
  readonly replicationFactor: number;
}

export interface Placement {
  /** The ring version this placement was computed under; every request carries it. */
  readonly ringVersion: number;
  /** R replies are counted among these. */
  readonly reads: ReplicaSet;
  /** Each set needs W acks of its own: one set, or `old` and `new` of a moving range. */
  readonly writes: readonly ReplicaSet[];
  /** Nodes past every write replica, in ring order: hint holders, nearest first. */
  readonly standIns: readonly ReplicaNode[];
}

export interface PlacementSource {
  placementOf(tenantId: string, key: string, replicationFactor: number): Placement;
}

interface RingMember extends RingNode, ReplicaNode {}

export class RingView implements PlacementSource {
  /** The old and new rings, computed as a storage node computes them (@pairdb/hashring). */
  private readonly placement: RingPlacement<RingMember>;

  constructor(
    readonly ringVersion: number,
    nodes: readonly StorageNode[],
    readonly change: RingChange | null,
  ) {
    this.placement = new RingPlacement(
      nodes.map((node) => ({ node: member(node), state: node.status })),
      change,
    );
  }

  /** Nodes that serve data in this version (old and new rings together). */
  members(): readonly ReplicaNode[] {
    const { oldRing, newRing } = this.placement;
    if (newRing === oldRing) return oldRing.nodes;
    const byId = new Map<string, ReplicaNode>();
    for (const node of [...oldRing.nodes, ...newRing.nodes]) byId.set(node.nodeId, node);
    return [...byId.values()];
  }

  /** Nodes a key may be placed on; 0 means no request can be served. */
  get size(): number {
    return this.placement.oldRing.size;
  }

  /** The two rings and each side's factor for a tenant (the same ring and factor when still). */
  ringsFor(
    tenantId: string,
    replicationFactor: number,
  ): {
    old: HashRing<RingMember>;
    new: HashRing<RingMember>;
    oldFactor: number;
    newFactor: number;
  } {
    const factors = this.placement.factorsOf(tenantId, replicationFactor);
    return {
      old: this.placement.oldRing,
      new: this.placement.newRing,
      oldFactor: factors.old,
      newFactor: factors.new,
    };
  }

  placementOf(tenantId: string, key: string, replicationFactor: number): Placement {
    return this.placementAt(keyToken(tenantId, key), tenantId, replicationFactor);
  }

  /** The placement of every key of `tenantId` whose token is `token`. */
  placementAt(token: Token, tenantId: string, replicationFactor: number): Placement {
    const sets = this.placement.replicaSetsAt(token, tenantId, replicationFactor);
    const old = { replicas: sets.old, replicationFactor: sets.oldFactor };
    const phase = this.change?.phase;
    const written = writtenSets(phase);
    const readsNew = phase === 'cutover' || phase === 'cleanup';
    const next =
      written.new || readsNew ? { replicas: sets.new, replicationFactor: sets.newFactor } : old;
    const writes = sameReplicaSet(old, next)
      ? [old]
      : [...(written.old ? [old] : []), ...(written.new ? [next] : [])];
    const { oldRing, newRing } = this.placement;
    return {
      ringVersion: this.ringVersion,
      reads: readsNew ? next : old,
      writes,
      standIns: standIns(readsNew ? newRing : oldRing, token, writes),
    };
  }
}

function member(node: StorageNode): RingMember {
  return {
    nodeId: node.nodeId,
    virtualNodes: node.virtualNodes,
    address: `${node.host}:${node.port}`,
  };
}

function sameReplicaSet(left: ReplicaSet, right: ReplicaSet): boolean {
  return (
    left.replicationFactor === right.replicationFactor &&
    left.replicas.length === right.replicas.length &&
    left.replicas.every((node) => right.replicas.some((other) => other.nodeId === node.nodeId))
  );
}

function standIns(
  ring: HashRing<RingMember>,
  token: bigint,
  writes: readonly ReplicaSet[],
): ReplicaNode[] {
  const taken = new Set(writes.flatMap((set) => set.replicas.map((node) => node.nodeId)));
  return ring
    .preferenceList(token, taken.size + STAND_INS_MAX)
    .filter((id) => !taken.has(id))
    .slice(0, STAND_INS_MAX)
    .map((id) => ring.node(id));
}
