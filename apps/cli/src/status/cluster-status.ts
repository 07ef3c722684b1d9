// What `pairdb status` shows, in the manner of `nodetool status`: every registered storage node
// with its state, its share of the ring, whether it answers, and how many keys it holds.
// Ring shares are computed here from the node list with the same hash ring the coordinator
// uses (libs/hashring); health and key counts come from each node's HealthCheck.
import { HashRing } from '@pairdb/hashring';
import type { StorageNode, StorageNodeHealth } from '@pairdb/client';

/** Node states whose ranges are in the coordinator's ring (routing/ring-router.ts). */
export const RING_STATUSES: ReadonlySet<string> = new Set(['active', 'draining']);

export type Health = 'up' | 'not serving' | 'down' | 'not probed';

export interface NodeStatusRow {
  readonly nodeId: string;
  readonly address: string;
  readonly state: string;
  /** Fraction of the token space this node is primary for; 0 outside the ring. */
  readonly owns: number;
  /** Fraction of the token space this node holds a replica of, at `replicationFactor`. */
  readonly effective: number;
  readonly health: Health;
  readonly keys?: number;
  readonly hintsPending?: number;
  readonly freeDiskBytes?: number;
  /** Why the probe failed, when health is down. */
  readonly error?: string;
}

export interface ClusterStatus {
  readonly replicationFactor: number;
  readonly ringSize: number;
  readonly nodes: readonly NodeStatusRow[];
}

export type Probe = (address: string) => Promise<StorageNodeHealth>;

export async function gatherStatus(
  nodes: readonly StorageNode[],
  replicationFactor: number,
  probe: Probe,
): Promise<ClusterStatus> {
  const members = nodes.filter((node) => RING_STATUSES.has(node.status));
  const ring = new HashRing(
    members.map((node) => ({ nodeId: node.nodeId, virtualNodes: node.virtualNodes })),
  );
  const owns = ring.size > 0 ? ring.ownership(1) : new Map<string, number>();
  const effective = ring.size > 0 ? ring.ownership(replicationFactor) : new Map<string, number>();
  const rows = await Promise.all(
    nodes.map(async (node): Promise<NodeStatusRow> => {
      const address = `${node.host}:${node.port}`;
      const base = {
        nodeId: node.nodeId,
        address,
        state: node.status,
        owns: owns.get(node.nodeId) ?? 0,
        effective: effective.get(node.nodeId) ?? 0,
      };
      // A removed node is history: it may well be gone, and nothing routes to it.
      if (node.status === 'inactive') return { ...base, health: 'not probed' };
      try {
        const health = await probe(address);
        return {
          ...base,
          health: health.serving ? 'up' : 'not serving',
          keys: health.approximateKeyCount >= 0 ? health.approximateKeyCount : undefined,
          hintsPending: health.hintsPending,
          freeDiskBytes: health.freeDiskBytes,
        };
      } catch (error) {
        return { ...base, health: 'down', error: (error as Error).message };
      }
    }),
  );
  return { replicationFactor, ringSize: ring.size, nodes: rows };
}
