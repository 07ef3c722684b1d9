// What ListStorageNodes answers with include_health: the coordinator asks every listed node that
// is not inactive for its HealthCheck, all at once, each within NODE_PROBE_TIMEOUT_MS, on behalf
// of admin tools (`pairdb status`) that may not resolve the addresses nodes registered with
// (docs/architecture.md#the-pairdb-command). A node that does not answer is reported with why,
// never as a failure of the whole list.
import type { StorageNode } from './metadata';
import { ReplicaFailure } from './replicas/replica-failure';

/**
 * Each probe's deadline: a status view should come back at once, and a node that cannot answer
 * a HealthCheck this fast is as good as down to whoever reads it.
 */
export const NODE_PROBE_TIMEOUT_MS = 2_000;

/** A storage node's own report of itself (its HealthCheck answer). */
export interface NodeHealthReport {
  /** It takes requests (false while it starts or drains). */
  readonly serving: boolean;
  /** Keys it stores, every tenant; -1 when it cannot count them. */
  readonly approximateKeyCount: number;
  readonly hintsPending: number;
  readonly freeDiskBytes: number;
}

/** What one probe found: the node's report, or why there was none. */
export type NodeHealthProbe =
  | ({ readonly answered: true } & NodeHealthReport)
  | { readonly answered: false; readonly error: string };

/** Asks `node` for its HealthCheck; rejects with why it gave none within `timeoutMs`. */
export type CheckNodeHealth = (node: StorageNode, timeoutMs: number) => Promise<NodeHealthReport>;

/** A listed node; `health` only when asked for, and never for an inactive node. */
export interface ProbedStorageNode extends StorageNode {
  readonly health?: NodeHealthProbe;
}

/** `nodes` in their order, each not inactive with what its probe found. */
export function probeStorageNodes(
  nodes: readonly StorageNode[],
  check: CheckNodeHealth,
  timeoutMs = NODE_PROBE_TIMEOUT_MS,
): Promise<ProbedStorageNode[]> {
  return Promise.all(
    nodes.map(async (node): Promise<ProbedStorageNode> => {
      // A removed node is history: it may well be gone, and nothing routes to it.
      if (node.status === 'inactive') return node;
      return { ...node, health: await probe(node, check, timeoutMs) };
    }),
  );
}

async function probe(
  node: StorageNode,
  check: CheckNodeHealth,
  timeoutMs: number,
): Promise<NodeHealthProbe> {
  try {
    return { answered: true, ...(await check(node, timeoutMs)) };
  } catch (error) {
    // The node id goes beside the error wherever it is shown; the reason alone is kept.
    if (error instanceof ReplicaFailure) return { answered: false, error: error.reason };
    return { answered: false, error: error instanceof Error ? error.message : String(error) };
  }
}
