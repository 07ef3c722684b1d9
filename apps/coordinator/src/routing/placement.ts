// Where a key lives: the replicas of its preference list and, past them, the stand-ins that may
// hold hints for a replica that is down.
import type { ReplicaNode } from '../replicas/replica-transport';

export interface Placement {
  /** The first min(replicationFactor, nodes) distinct nodes clockwise from the key's token. */
  readonly replicas: readonly ReplicaNode[];
  /** Up to STAND_INS_MAX (ring-router.ts) more nodes in ring order after the replicas: hint
   * holders, nearest first. */
  readonly standIns: readonly ReplicaNode[];
}

export interface PlacementSource {
  placementOf(tenantId: string, key: string, replicationFactor: number): Placement;
}
