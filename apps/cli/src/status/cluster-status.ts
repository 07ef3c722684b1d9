// What `pairdb status` shows, in the manner of `nodetool status`: every registered storage node
// with its state, its share of the ring, whether it answers, and how many keys it holds.
// Ring shares are computed here from the node list with the same hash ring the coordinator
// uses (libs/hashring); health and key counts come from each node's HealthCheck as the
// coordinator probed it (listStorageNodes with includeHealth), since nodes register addresses
// that may resolve only inside the cluster network (docs/architecture.md#the-pairdb-command).
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

/** Asks a node directly: only for nodes the coordinator listed without health. */
export type Probe = (address: string) => Promise<StorageNodeHealth>;

/** What a node reported of itself, by whichever way it was asked. */
type Report = Pick<
  StorageNodeHealth,
  'serving' | 'approximateKeyCount' | 'hintsPending' | 'freeDiskBytes'
>;

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
      if (node.health) {
        return node.health.answered
          ? { ...base, ...reportColumns(node.health) }
          : { ...base, health: 'down', error: node.health.error };
      }
      // A coordinator older than includeHealth lists none: ask the node from here, which works
      // only where its registered address resolves.
      try {
        return { ...base, ...reportColumns(await probe(address)) };
      } catch (error) {
        return { ...base, health: 'down', error: (error as Error).message };
      }
    }),
  );
  return { replicationFactor, ringSize: ring.size, nodes: rows };
}

function reportColumns(
  report: Report,
): Pick<NodeStatusRow, 'health' | 'keys' | 'hintsPending' | 'freeDiskBytes'> {
  return {
    health: report.serving ? 'up' : 'not serving',
    keys: report.approximateKeyCount >= 0 ? report.approximateKeyCount : undefined,
    hintsPending: report.hintsPending,
    freeDiskBytes: report.freeDiskBytes,
  };
}
