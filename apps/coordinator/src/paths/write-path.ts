// The write path (docs/architecture.md#one-write-hop-by-hop): stamp the write with a new dot, send
// it to every replica at once, answer as soon as W replicas acknowledged while the rest finish in
// the background. A replica that fails gets a hint: the same write, handed to the nearest healthy
// stand-in past the preference list with the intended owner attached. Hints never count toward W.
// While a migration moves the key's range the write has two replica sets, `old` and `new`, and
// needs W acks in each (docs/architecture.md#membership-and-migrations); a node refusing the ring
// version makes the coordinator reload the ring and retry once with the same dot.
import {
  joinVersionVectors,
  VersionVector,
  type Dot,
  type HybridLogicalClock,
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
  prepareWrite,
  type PreparedOperation,
  type ReplicaNode,
  type ReplicaTransport,
} from '../replicas/replica-transport';
import type { RequestsInFlight } from '../routing/requests-in-flight';
import type { PlacementSource, ReplicaSet } from '../routing/ring-view';
import { retryOnceIfFenced } from './fenced-retry';
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
  /** Counts each write, stragglers and hints included, under its ring version. */
  readonly inFlight?: RequestsInFlight;
  /** Reloads the ring after a node refused this coordinator's ring version. */
  readonly reloadRing?: () => Promise<void>;
}

export class WritePath {
  constructor(private readonly deps: WritePathDeps) {}

  write(command: WriteCommand): Promise<WriteOutcome> {
    const dot = { actor: this.deps.actor, counter: this.deps.clock.next() };
    // Same dot on the retry: a replica that took the first attempt merges it as the same version.
    return retryOnceIfFenced(() => this.attempt(command, dot), this.deps.reloadRing);
  }

  private attempt(command: WriteCommand, dot: Dot): Promise<WriteOutcome> {
    const placement = this.deps.placement.placementOf(
      command.tenantId,
      command.key,
      command.replicationFactor,
    );
    const sets = placement.writes.map((set) => new SetQuorum(set, command.consistency));
    const targets = uniqueReplicas(placement.writes);
    const build = this.requestBuilder(command, dot, placement.ringVersion);
    const operation = build(undefined);
    const hinting = new HintRouter(placement.standIns, this.deps.health);
    // Stragglers and hints keep the ring version busy after the answer; the barrier waits for them.
    let working = targets.length;
    const done = this.deps.inFlight?.begin(placement.ringVersion);
    const finishOne = () => {
      if (--working === 0) done?.();
    };
    if (working === 0) done?.();

    return new Promise<WriteOutcome>((resolve, reject) => {
      let settled = false;
      let outstanding = targets.length;
      let acknowledged = 0;
      let clock = VersionVector.EMPTY;
      const failures: ReplicaFailure[] = [];
      for (const set of sets) if (set.missing) failures.push(set.missing);
      // Answer once every set has its W acks; fail only once every replica has answered or
      // failed, so the error reports exactly how many acknowledged.
      const decide = () => {
        if (settled) return;
        if (sets.every((set) => set.reached)) {
          settled = true;
          resolve({ clock, acknowledged });
        } else if (outstanding === 0) {
          settled = true;
          this.deps.events?.onQuorumFailure?.();
          const short = sets.find((set) => !set.reached)!;
          const operationName = command.value === undefined ? 'delete' : 'write';
          reject(quorumError(operationName, short.acknowledged, short.required, failures));
        }
      };
      // A bug while handling one reply fails this write instead of escaping as an unhandled
      // rejection, which would end the process.
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      for (const replica of targets) {
        this.send(replica, operation)
          .then(
            (replicaClock) => {
              outstanding--;
              acknowledged++;
              for (const set of sets) set.acknowledge(replica.nodeId);
              clock = joinVersionVectors(clock, replicaClock);
              decide();
              finishOne();
            },
            (failure: ReplicaFailure) => {
              outstanding--;
              failures.push(failure);
              decide();
              // A fenced node is not down: a hint under a stale version would be fenced too.
              if (failure.kind === 'fenced') finishOne();
              else void this.hint(replica, hinting, build).finally(finishOne);
            },
          )
          .catch(fail);
      }
      decide();
    });
  }

  private requestBuilder(
    command: WriteCommand,
    dot: Dot,
    ringVersion: number,
  ): (hintFor: ReplicaNode | undefined) => PreparedOperation {
    return (hintFor) =>
      prepareWrite({
        tenantId: command.tenantId,
        key: command.key,
        value: command.value,
        context: command.context,
        dot,
        policy: command.policy,
        hintFor,
        ringVersion,
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

/** One replica set's progress towards its W acks. */
class SetQuorum {
  readonly required: number;
  acknowledged = 0;
  /** Set when the ring had fewer nodes than the factor: those replicas can never answer. */
  readonly missing: ReplicaFailure | undefined;

  constructor(
    private readonly set: ReplicaSet,
    consistency: Consistency,
  ) {
    this.required = requiredReplies(consistency, set.replicationFactor);
    this.missing =
      set.replicas.length < this.required
        ? missingReplicas(set.replicas.length, set.replicationFactor)
        : undefined;
  }

  get reached(): boolean {
    return this.acknowledged >= this.required;
  }

  acknowledge(nodeId: string): void {
    if (this.set.replicas.some((node) => node.nodeId === nodeId)) this.acknowledged++;
  }
}

/** Every replica of the sets once, in set order. */
function uniqueReplicas(sets: readonly ReplicaSet[]): ReplicaNode[] {
  const byId = new Map<string, ReplicaNode>();
  for (const set of sets) for (const node of set.replicas) byId.set(node.nodeId, node);
  return [...byId.values()];
}
