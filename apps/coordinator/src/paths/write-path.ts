// The write path (docs/architecture.md#one-write-hop-by-hop): stamp the write with a new dot, send
// it to every replica at once, answer as soon as W replicas acknowledged while the rest finish in
// the background. A replica that fails gets a hint: the same write, handed to the nearest healthy
// stand-in past the preference list with the intended owner attached. Hints never count toward W.
import { joinVersionVectors, VersionVector, type HybridLogicalClock } from '@pairdb/vectorclock';
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
  prepareWrite,
  type PreparedOperation,
  type ReplicaNode,
  type ReplicaTransport,
} from '../replicas/replica-transport';
import type { PlacementSource } from '../routing/placement';
import { requiredReplies, type Consistency } from './consistency';

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
      const failures: ReplicaFailure[] = [];
      if (replicas.length < required) {
        failures.push(missingReplicas(replicas.length, command.replicationFactor));
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
          reject(quorumError(operationName, acknowledged, required, failures));
        }
      };
      // A bug while handling one reply fails this write instead of escaping as an unhandled
      // rejection, which would end the process.
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      for (const replica of replicas) {
        this.send(replica, operation)
          .then(
            (replicaClock) => {
              outstanding--;
              acknowledged++;
              clock = joinVersionVectors(clock, replicaClock);
              decide();
            },
            (failure: ReplicaFailure) => {
              outstanding--;
              failures.push(failure);
              decide();
              void this.hint(replica, hinting, build);
            },
          )
          .catch(fail);
      }
      decide();
    });
  }

  private requestBuilder(
    command: WriteCommand,
  ): (hintFor: ReplicaNode | undefined) => PreparedOperation {
    const dot = { actor: this.deps.actor, counter: this.deps.clock.next() };
    return (hintFor) =>
      prepareWrite({
        tenantId: command.tenantId,
        key: command.key,
        value: command.value,
        context: command.context,
        dot,
        policy: command.policy,
        hintFor,
      });
  }

  /** The replica's clock after the write; rejects with its ReplicaFailure. */
  private async send(node: ReplicaNode, operation: PreparedOperation): Promise<VersionVector> {
    try {
      const reply = await this.deps.transport.send(node, operation, this.deps.timeoutMs);
      if (reply.kind !== 'write' && reply.kind !== 'delete') {
        throw new ReplicaFailure(
          node.nodeId,
          'corrupt',
          `unexpected ${reply.kind} reply to a write`,
        );
      }
      this.deps.health.markSuccess(node.nodeId);
      return reply.clock;
    } catch (error) {
      const failure = replicaFailureOf(node.nodeId, error);
      if (isNodeFailure(failure)) this.deps.health.markFailure(node.nodeId);
      throw failure;
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
