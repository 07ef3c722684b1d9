// The read path (docs/architecture.md#the-read-path-and-read-repair): ask every replica, answer
// after R replies with their versions reconciled (DVVSet sync, then the tenant's conflict
// policy). Once every replica has answered or failed, replicas that returned less than the
// reconciled set, including those that answered after the client got its reply, are queued for
// read repair; so are replicas that failed with DATA_LOSS (up, but the key's stored bytes are
// damaged: the repair replaces them).
import {
  collapseToWinner,
  dotsEqual,
  EMPTY_VERSION_SET,
  isTombstone,
  liveValues,
  sync,
  versionVectorsEqual,
  type VersionSet,
} from '@pairdb/vectorclock';
import { QuorumError } from '../errors';
import type { NodeHealth } from '../replicas/node-health';
import {
  failureReason,
  prepareRead,
  ReplicaError,
  type ReplicaNode,
  type ReplicaTransport,
} from '../replicas/replica-transport';
import type { PlacementSource } from '../routing/placement';
import { requiredReplies, type Consistency } from './consistency';
import type { ReadRepairQueue } from './read-repair';
import { versionSetFromWire } from './version-wire';
import { isNodeFailure, type ConflictPolicy } from './write-path';

export interface ReadCommand {
  readonly tenantId: string;
  readonly key: string;
  readonly consistency: Consistency;
  readonly replicationFactor: number;
  readonly policy: ConflictPolicy;
}

export interface ReadOutcome {
  /** Reconciled versions of the replies that made the quorum (policy applied). */
  readonly versions: VersionSet;
  /** More than one live sibling, or replicas disagreeing concurrently. */
  readonly conflict: boolean;
}

export interface ReadPathDeps {
  readonly placement: PlacementSource;
  readonly transport: ReplicaTransport;
  readonly health: NodeHealth;
  readonly repairs: ReadRepairQueue;
  readonly timeoutMs: number;
  readonly onQuorumFailure?: () => void;
}

/** google.rpc.Code DATA_LOSS: a storage node found the key's stored version damaged. */
const CODE_DATA_LOSS = 15;

interface Reply {
  readonly node: ReplicaNode;
  /** undefined: the replica has nothing for the key. */
  readonly versions: VersionSet | undefined;
}

export class ReadPath {
  constructor(private readonly deps: ReadPathDeps) {}

  read(command: ReadCommand): Promise<ReadOutcome> {
    const { replicas } = this.deps.placement.placementOf(
      command.tenantId,
      command.key,
      command.replicationFactor,
    );
    const required = requiredReplies(command.consistency, command.replicationFactor);
    const operation = prepareRead({ tenantId: command.tenantId, key: command.key });
    const replies: Reply[] = [];
    const failures: { nodeId: string; message: string }[] = [];
    const damaged: ReplicaNode[] = [];
    if (replicas.length < required) {
      failures.push({
        nodeId: '-',
        message: `only ${replicas.length} storage nodes for replication factor ${command.replicationFactor}`,
      });
    }
    let finished = 0;
    return new Promise<ReadOutcome>((resolve, reject) => {
      let settled = false;
      const decide = () => {
        if (!settled && replies.length >= required) {
          settled = true;
          resolve(reconcile(replies, command.policy));
        } else if (!settled && finished + 1 === replicas.length) {
          settled = true;
          this.deps.onQuorumFailure?.();
          reject(new QuorumError('read', replies.length, required, failures));
        }
        if (++finished === replicas.length) this.repairStale(command, replies, damaged);
      };
      for (const node of replicas) {
        this.deps.transport.send(node, operation, this.deps.timeoutMs).then(
          (reply) => {
            this.deps.health.markSuccess(node.nodeId);
            if (reply.kind !== 'read')
              throw new ReplicaError(node.nodeId, 13, `unexpected ${reply.kind} reply`);
            const found = reply.value.found && reply.value.versions;
            replies.push({
              node,
              versions: found ? versionSetFromWire(reply.value.versions!) : undefined,
            });
            decide();
          },
          (error: Error) => {
            if (error instanceof ReplicaError && isNodeFailure(error.code))
              this.deps.health.markFailure(node.nodeId);
            if (error instanceof ReplicaError && error.code === CODE_DATA_LOSS) damaged.push(node);
            failures.push({ nodeId: node.nodeId, message: failureReason(error) });
            decide();
          },
        );
      }
      if (replicas.length === 0) {
        settled = true;
        reject(new QuorumError('read', 0, required, failures));
      }
    });
  }

  private repairStale(
    command: ReadCommand,
    replies: readonly Reply[],
    damaged: readonly ReplicaNode[],
  ): void {
    const merged = mergeAll(replies, command.policy);
    if (merged.siblings.length === 0) return;
    const stale = replies
      .filter((reply) => !reply.versions || !sameVersions(reply.versions, merged))
      .map((reply) => reply.node);
    for (const node of [...stale, ...damaged]) {
      this.deps.repairs.enqueue({
        node,
        tenantId: command.tenantId,
        key: command.key,
        versions: merged,
        policy: command.policy,
      });
    }
  }
}

/**
 * Equal sets, as equal canonical encodings would say, without encoding both for every reply of
 * every read: siblings are kept sorted by dot with no dot twice, so equal sets pair up in order.
 */
function sameVersions(a: VersionSet, b: VersionSet): boolean {
  if (a.siblings.length !== b.siblings.length) return false;
  if (!versionVectorsEqual(a.context, b.context)) return false;
  return a.siblings.every((sibling, index) => {
    const other = b.siblings[index]!;
    if (!dotsEqual(sibling.dot, other.dot)) return false;
    if (isTombstone(sibling) || isTombstone(other))
      return isTombstone(sibling) === isTombstone(other);
    return Buffer.compare(sibling.value, other.value) === 0;
  });
}

function mergeAll(replies: readonly Reply[], policy: ConflictPolicy): VersionSet {
  let merged = EMPTY_VERSION_SET;
  for (const reply of replies) if (reply.versions) merged = sync(merged, reply.versions);
  return policy === 'lww' ? collapseToWinner(merged) : merged;
}

function reconcile(replies: readonly Reply[], policy: ConflictPolicy): ReadOutcome {
  const merged = mergeAll(replies, 'siblings');
  const conflict = liveValues(merged).length > 1;
  return { versions: policy === 'lww' ? collapseToWinner(merged) : merged, conflict };
}
