// The write path (docs/architecture.md#one-write-hop-by-hop): stamp the write with a new dot, send
// it to every replica at once, answer as soon as W replicas acknowledged while the rest finish in
// the background. A replica that fails gets a hint: the same write, handed to the nearest healthy
// stand-in past the preference list with the intended owner attached. Hints never count toward W.
import { storageV1 } from '@pairdb/proto';
import { joinVersionVectors, VersionVector, type HybridLogicalClock } from '@pairdb/vectorclock';
import { QuorumError } from '../errors';
import type { NodeHealth } from '../replicas/node-health';
import {
  prepareDelete,
  prepareWrite,
  failureReason,
  ReplicaError,
  type PreparedOperation,
  type ReplicaNode,
  type ReplicaTransport,
} from '../replicas/replica-transport';
import type { PlacementSource } from '../routing/placement';
import { requiredReplies, type Consistency } from './consistency';
import { replicaClockFromWire } from './version-wire';

export type ConflictPolicy = 'lww' | 'siblings';

export interface WriteCommand {
  readonly tenantId: string;
  readonly key: string;
  /** undefined for a delete (a tombstone). */
  readonly value: Uint8Array | undefined;
  readonly context: VersionVector;
  readonly consistency: Consistency;
  readonly replicationFactor: number;
  readonly policy: ConflictPolicy;
}

export interface WriteOutcome {
  /**
   * The read context of the versions the acknowledging replicas hold after the write, joined:
   * the context for the client's next write. (Joining read contexts equals taking the read
   * context of the synced sets: a sibling sync drops is covered by the other side's context.)
   */
  readonly clock: VersionVector;
  /** Replicas that acknowledged before the answer. */
  readonly acknowledged: number;
}

export interface WritePathEvents {
  onHintSent?(owner: string, standIn: string): void;
  onHintFailed?(owner: string, error: Error): void;
  onQuorumFailure?(): void;
}

export interface WritePathDeps {
  readonly actor: string;
  readonly clock: HybridLogicalClock;
  readonly placement: PlacementSource;
  readonly transport: ReplicaTransport;
  readonly health: NodeHealth;
  readonly timeoutMs: number;
  readonly events?: WritePathEvents;
}

const POLICY_TO_WIRE = {
  lww: storageV1.ConflictPolicy.CONFLICT_POLICY_LWW,
  siblings: storageV1.ConflictPolicy.CONFLICT_POLICY_SIBLINGS,
} as const;

export class WritePath {
  constructor(private readonly deps: WritePathDeps) {}

  async write(command: WriteCommand): Promise<WriteOutcome> {
    const { replicas, standIns } = this.deps.placement.placementOf(
      command.tenantId,
      command.key,
      command.replicationFactor,
    );
    const required = requiredReplies(command.consistency, command.replicationFactor);
    const build = this.requestBuilder(command);
    const operation = build(undefined);
    const hinting = new HintRouter(standIns, this.deps.health);

    return new Promise<WriteOutcome>((resolve, reject) => {
      let acknowledged = 0;
      let settled = false;
      let outstanding = replicas.length;
      let clock = VersionVector.EMPTY;
      const failures: { nodeId: string; message: string }[] = [];
      if (replicas.length < required) {
        failures.push({
          nodeId: '-',
          message: `only ${replicas.length} storage nodes for replication factor ${command.replicationFactor}`,
        });
      }
      // Answer at W acks; fail only once every replica has answered or failed, so the error
      // reports exactly how many acknowledged.
      const decide = () => {
        if (settled) return;
        if (acknowledged >= required) {
          settled = true;
          resolve({ clock, acknowledged });
        } else if (outstanding === 0) {
          settled = true;
          this.deps.events?.onQuorumFailure?.();
          const operationName = command.value === undefined ? 'delete' : 'write';
          reject(new QuorumError(operationName, acknowledged, required, failures));
        }
      };
      for (const replica of replicas) {
        this.send(replica, operation).then(
          (replicaClock) => {
            outstanding--;
            acknowledged++;
            clock = joinVersionVectors(clock, replicaClock);
            decide();
          },
          (error: unknown) => {
            outstanding--;
            failures.push({ nodeId: replica.nodeId, message: failureReason(error) });
            decide();
            void this.hint(replica, hinting, build);
          },
        );
      }
      decide();
    });
  }

  private requestBuilder(
    command: WriteCommand,
  ): (hintFor: ReplicaNode | undefined) => PreparedOperation {
    const dot = { actor: this.deps.actor, counter: this.deps.clock.next() };
    const context = command.context.entries().map(([actor, counter]) => ({ actor, counter }));
    const policy = POLICY_TO_WIRE[command.policy];
    return (owner) => {
      const hintFor = owner ? { nodeId: owner.nodeId, address: owner.address } : undefined;
      if (command.value === undefined) {
        return prepareDelete({
          tenantId: command.tenantId,
          key: command.key,
          context,
          dot,
          conflictPolicy: policy,
          hintFor,
          replyClockOnly: true,
        });
      }
      return prepareWrite({
        tenantId: command.tenantId,
        key: command.key,
        value: Buffer.from(
          command.value.buffer,
          command.value.byteOffset,
          command.value.byteLength,
        ),
        context,
        dot,
        conflictPolicy: policy,
        hintFor,
        replyClockOnly: true,
      });
    };
  }

  private async send(node: ReplicaNode, operation: PreparedOperation): Promise<VersionVector> {
    try {
      const reply = await this.deps.transport.send(node, operation, this.deps.timeoutMs);
      this.deps.health.markSuccess(node.nodeId);
      if (reply.kind !== 'write' && reply.kind !== 'delete') {
        throw new ReplicaError(node.nodeId, 13, `unexpected ${reply.kind} reply to a write`);
      }
      return replicaClockFromWire(reply.value);
    } catch (error) {
      if (error instanceof ReplicaError && isNodeFailure(error.code))
        this.deps.health.markFailure(node.nodeId);
      throw error;
    }
  }

  /** Hands the write for `owner` to the nearest healthy stand-in; tries the next on failure. */
  private async hint(
    owner: ReplicaNode,
    router: HintRouter,
    build: (hintFor: ReplicaNode) => PreparedOperation,
  ): Promise<void> {
    let lastError: Error = new Error('no stand-in node is available');
    for (let standIn = router.next(); standIn; standIn = router.next()) {
      try {
        await this.send(standIn, build(owner));
        this.deps.events?.onHintSent?.(owner.nodeId, standIn.nodeId);
        return;
      } catch (error) {
        lastError = error as Error;
      }
    }
    this.deps.events?.onHintFailed?.(owner.nodeId, lastError);
  }
}

/** Hands out stand-ins for hints, healthy ones first, each at most once per write. */
class HintRouter {
  private readonly ordered: ReplicaNode[];
  private index = 0;

  constructor(standIns: readonly ReplicaNode[], health: NodeHealth) {
    const healthy = standIns.filter((n) => !health.isSuspect(n.nodeId));
    const suspect = standIns.filter((n) => health.isSuspect(n.nodeId));
    this.ordered = [...healthy, ...suspect];
  }

  next(): ReplicaNode | undefined {
    return this.ordered[this.index++];
  }
}

/** Codes that say the node itself is unreachable or broken, not that the request was bad. */
export function isNodeFailure(code: number): boolean {
  // UNAVAILABLE (14), DEADLINE_EXCEEDED (4), RESOURCE_EXHAUSTED (8), INTERNAL (13), UNKNOWN (2)
  return code === 14 || code === 4 || code === 8 || code === 13 || code === 2;
}
