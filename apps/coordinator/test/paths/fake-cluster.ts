// An in-memory stand-in for storage nodes behind the ReplicaTransport interface: each node
// applies operations with the real DVVSet logic and answers in the storage protocol, which the
// coordinator's own edge (storage-replies.ts) turns into domain replies; tests can make a node
// fail, hang, lag, refuse writes for lack of disk or rewrite its replies.
import { status } from '@grpc/grpc-js';
import { storageV1 } from '@pairdb/proto';
import {
  collapseToWinner,
  covers,
  EMPTY_VERSION_SET,
  readContext,
  sync,
  update,
  VersionVector,
  type VersionSet,
} from '@pairdb/vectorclock';
import { versionSetFromWire, versionSetToWire, versionVectorToWire } from '@pairdb/wire-contract';
import type {
  PreparedOperation,
  ReplicaNode,
  ReplicaReply,
  ReplicaTransport,
} from '../../src/replicas/replica-transport';
import {
  failureFromStatus,
  replyFromStorage,
  type StorageOutcome,
} from '../../src/replicas/storage-replies';
import type { Placement, PlacementSource, ReplicaSet } from '../../src/routing/ring-view';

/** `disk-full`: writes and deletes answer RESOURCE_EXHAUSTED, as a node whose disk guard tripped. */
export type NodeMode = 'up' | 'down' | 'hang' | 'disk-full';

export class FakeNode {
  readonly data = new Map<string, VersionSet>();
  readonly hints: Array<{
    owner: string;
    request: storageV1.WriteRequest | storageV1.DeleteRequest;
  }> = [];
  mode: NodeMode = 'up';
  delayMs = 0;
  readonly received: string[] = [];
  /** Replies to writes and deletes, in order. */
  readonly replies: storageV1.WriteResponse[] = [];
  /** Answers every write with its whole version set, as a node that predates reply_clock_only. */
  answersVersionSets = false;
  /** Rewrites each reply before it is sent, e.g. to send a malformed one. */
  rewriteReply: ((outcome: StorageOutcome) => StorageOutcome) | undefined;

  constructor(readonly nodeId: string) {}

  get address(): string {
    return `fake://${this.nodeId}`;
  }

  apply(operation: PreparedOperation): StorageOutcome {
    switch (operation.kind) {
      case 'write':
      case 'delete': {
        const request =
          operation.kind === 'write'
            ? storageV1.WriteRequest.decode(operation.bytes)
            : storageV1.DeleteRequest.decode(operation.bytes);
        if (request.hintFor) {
          this.hints.push({ owner: request.hintFor.nodeId, request });
          return { $case: operation.kind, value: { versions: undefined, clock: [] } };
        }
        const id = `${request.tenantId}/${request.key}`;
        const current = this.data.get(id) ?? EMPTY_VERSION_SET;
        const dot = { actor: request.dot!.actor, counter: request.dot!.counter };
        const context = VersionVector.from(
          request.context.map((e) => [e.actor, e.counter] as const),
        );
        let next = covers(current.context, dot)
          ? current
          : update(
              current,
              context,
              dot,
              operation.kind === 'write'
                ? { value: (request as storageV1.WriteRequest).value }
                : { tombstone: true },
            );
        if (request.conflictPolicy === storageV1.ConflictPolicy.CONFLICT_POLICY_LWW)
          next = collapseToWinner(next);
        this.data.set(id, next);
        const reply =
          request.replyClockOnly && !this.answersVersionSets
            ? { versions: undefined, clock: versionVectorToWire(readContext(next)) }
            : { versions: versionSetToWire(next), clock: [] };
        this.replies.push(reply);
        return { $case: operation.kind, value: reply };
      }
      case 'read': {
        const request = storageV1.ReadRequest.decode(operation.bytes);
        const set = this.data.get(`${request.tenantId}/${request.key}`);
        return {
          $case: 'read',
          value: { found: set !== undefined, versions: set ? versionSetToWire(set) : undefined },
        };
      }
      case 'repair': {
        const request = storageV1.RepairRequest.decode(operation.bytes);
        const id = `${request.tenantId}/${request.key}`;
        const incoming = versionSetFromWire('versions', request.versions);
        const current = this.data.get(id);
        const next = current ? sync(current, incoming) : incoming;
        this.data.set(id, next);
        return { $case: 'repair', value: { versions: versionSetToWire(next) } };
      }
    }
  }
}

export class FakeCluster implements ReplicaTransport, PlacementSource {
  readonly nodes: FakeNode[];

  constructor(nodeIds: string[]) {
    this.nodes = nodeIds.map((id) => new FakeNode(id));
  }

  node(id: string): FakeNode {
    return this.nodes.find((n) => n.nodeId === id)!;
  }

  /** The ring version placements carry. */
  ringVersion = 1;
  /**
   * A moving range: writes need W in each of the two sets (node ids), reads use `reads`.
   * Unset: fixed placement, the nodes in order, the first `rf` are replicas.
   */
  moving: { old: string[]; new: string[]; reads: 'old' | 'new' } | undefined;

  placementOf(_tenantId: string, _key: string, replicationFactor: number): Placement {
    const all: ReplicaNode[] = this.nodes.map((n) => ({ nodeId: n.nodeId, address: n.address }));
    const moving = this.moving;
    if (moving) {
      const set = (ids: string[]): ReplicaSet => ({
        replicas: all.filter((n) => ids.includes(n.nodeId)),
        replicationFactor: ids.length,
      });
      const sets = { old: set(moving.old), new: set(moving.new) };
      const used = new Set([...moving.old, ...moving.new]);
      return {
        ringVersion: this.ringVersion,
        reads: sets[moving.reads],
        writes: [sets.old, sets.new],
        standIns: all.filter((n) => !used.has(n.nodeId)),
      };
    }
    const replicas = { replicas: all.slice(0, replicationFactor), replicationFactor };
    return {
      ringVersion: this.ringVersion,
      reads: replicas,
      writes: [replicas],
      standIns: all.slice(replicationFactor),
    };
  }

  async send(
    target: ReplicaNode,
    operation: PreparedOperation,
    timeoutMs: number,
  ): Promise<ReplicaReply> {
    const node = this.node(target.nodeId);
    node.received.push(operation.kind);
    if (node.mode === 'down') {
      throw failureFromStatus(node.nodeId, status.UNAVAILABLE, 'connection refused');
    }
    if (node.mode === 'hang' || node.delayMs > timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, timeoutMs));
      throw failureFromStatus(
        node.nodeId,
        status.DEADLINE_EXCEEDED,
        `no reply within ${timeoutMs} ms`,
      );
    }
    if (node.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, node.delayMs));
    const writes = operation.kind === 'write' || operation.kind === 'delete';
    const outcome: StorageOutcome =
      node.mode === 'disk-full' && writes
        ? {
            $case: 'error',
            value: {
              code: status.RESOURCE_EXHAUSTED,
              message: 'disk guard tripped: 1000 bytes free, below the floor of 2000',
            },
          }
        : node.apply(operation);
    return replyFromStorage(node.nodeId, operation.kind, node.rewriteReply?.(outcome) ?? outcome);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
