// The read path (docs/architecture.md#the-read-path-and-read-repair): ask every replica, answer
// after R replies with their versions reconciled (DVVSet sync, then the tenant's conflict
// policy). Once every replica has answered or failed, replicas that returned less than the
// reconciled set, including those that answered after the client got its reply, are queued for
// read repair; so are replicas that failed with DATA_LOSS (up, but the key's stored bytes are
// damaged: the repair replaces them). While a migration moves the key's range, R replies come
// from `old` until cutover and from `new` after it (docs/architecture.md#membership-and-migrations).
import {
  collapseToWinner,
  EMPTY_VERSION_SET,
  isDeleted,
  liveValues,
  sync,
  versionSetsEqual,
  type VersionSet,
} from '@pairdb/vectorclock';
import type { ConflictPolicy } from '@pairdb/wire-contract';
import { quorumError } from '../errors';
import type { NodeHealth } from '../replicas/node-health';
import {
  isNodeFailure,
  missingReplicas,
  ReplicaFailure,
  replicaFailureOf,
} from '../replicas/replica-failure';
import {
  prepareRead,
  type PreparedOperation,
  type ReplicaNode,
  type ReplicaTransport,
} from '../replicas/replica-transport';
import type { RequestsInFlight } from '../routing/requests-in-flight';
import type { PlacementSource } from '../routing/ring-view';
import { retryOnceIfFenced } from './fenced-retry';
import { requiredReplies, type Consistency } from './consistency';
import type { ReadRepairQueue } from './read-repair';

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
  /** Counts each read, until its last replica answered, under its ring version. */
  readonly inFlight?: RequestsInFlight;
  /** Reloads the ring after a node refused this coordinator's ring version. */
  readonly reloadRing?: () => Promise<void>;
}

interface Reply {
  readonly node: ReplicaNode;
  /** undefined: the replica has nothing for the key. */
  readonly versions: VersionSet | undefined;
}

export class ReadPath {
  constructor(private readonly deps: ReadPathDeps) {}

  read(command: ReadCommand): Promise<ReadOutcome> {
    return retryOnceIfFenced(() => this.attempt(command), this.deps.reloadRing);
  }

  private attempt(command: ReadCommand): Promise<ReadOutcome> {
    const placement = this.deps.placement.placementOf(
      command.tenantId,
      command.key,
      command.replicationFactor,
    );
    const { replicas, replicationFactor } = placement.reads;
    const ringVersion = placement.ringVersion;
    const required = requiredReplies(command.consistency, replicationFactor);
    const operation = prepareRead(command.tenantId, command.key, ringVersion);
    const done = this.deps.inFlight?.begin(ringVersion);
    const replies: Reply[] = [];
    const failures: ReplicaFailure[] = [];
    if (replicas.length < required) {
      failures.push(missingReplicas(replicas.length, replicationFactor));
    }
    let finished = 0;
    return new Promise<ReadOutcome>((resolve, reject) => {
      let settled = false;
      const decide = () => {
        if (!settled && replies.length >= required) {
          const outcome = reconcile(replies, command.policy);
          settled = true;
          resolve(outcome);
        } else if (!settled && finished + 1 === replicas.length) {
          settled = true;
          this.deps.onQuorumFailure?.();
          reject(quorumError('read', replies.length, required, failures));
        }
        if (++finished === replicas.length) {
          this.repairStale(command, ringVersion, replies, damagedNodes(replicas, failures));
          done?.();
        }
      };
      // Whatever goes wrong while handling one reply (a bug included) fails this read with that
      // error: it must never escape as an unhandled rejection, which would end the process.
      // Once the read has answered, only queueing read repairs is left to go wrong, and a repair
      // that is not queued is healed by the next read or by anti-entropy.
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      for (const node of replicas) {
        this.ask(node, operation)
          .then(
            (versions) => {
              replies.push({ node, versions });
              decide();
            },
            (failure: ReplicaFailure) => {
              failures.push(failure);
              decide();
            },
          )
          .catch(fail);
      }
      if (replicas.length === 0) {
        settled = true;
        done?.();
        reject(quorumError('read', 0, required, failures));
      }
    });
  }

  /** The replica's versions of the key; rejects with its ReplicaFailure. */
  private async ask(
    node: ReplicaNode,
    operation: PreparedOperation,
  ): Promise<VersionSet | undefined> {
    try {
      const reply = await this.deps.transport.send(node, operation, this.deps.timeoutMs);
      if (reply.kind !== 'read') {
        throw new ReplicaFailure(
          node.nodeId,
          'corrupt',
          `unexpected ${reply.kind} reply to a read`,
        );
      }
      this.deps.health.markSuccess(node.nodeId);
      return reply.versions;
    } catch (error) {
      const failure = replicaFailureOf(node.nodeId, error);
      if (isNodeFailure(failure)) this.deps.health.markFailure(node.nodeId);
      throw failure;
    }
  }

  private repairStale(
    command: ReadCommand,
    ringVersion: number,
    replies: readonly Reply[],
    damaged: readonly ReplicaNode[],
  ): void {
    const merged = mergeAll(replies, command.policy);
    if (merged.siblings.length === 0) return;
    // A replica that holds nothing is not sent tombstones: absent reads as deleted already, and
    // one whose tombstones were purged would get them back (docs/architecture.md#tombstone-purge).
    const stale = replies
      .filter((reply) =>
        reply.versions ? !versionSetsEqual(reply.versions, merged) : !isDeleted(merged),
      )
      .map((reply) => reply.node);
    for (const node of [...stale, ...damaged]) {
      this.deps.repairs.enqueue({
        node,
        tenantId: command.tenantId,
        key: command.key,
        versions: merged,
        policy: command.policy,
        ringVersion,
      });
    }
  }
}

/** Replicas that are up but whose stored copy is damaged: a repair replaces it. */
function damagedNodes(
  replicas: readonly ReplicaNode[],
  failures: readonly ReplicaFailure[],
): ReplicaNode[] {
  return replicas.filter((node) =>
    failures.some((failure) => failure.kind === 'damaged' && failure.nodeId === node.nodeId),
  );
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
