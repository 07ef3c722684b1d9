// An in-memory stand-in for storage nodes behind the ReplicaTransport interface: each node
// applies operations with the real DVVSet logic, and tests can make a node fail, hang or lag.
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
import {
  ReplicaError,
  type PreparedOperation,
  type ReplicaNode,
  type ReplicaReply,
  type ReplicaTransport,
} from '../../src/replicas/replica-transport';
import type { Placement, PlacementSource } from '../../src/routing/placement';
import { versionSetFromWire, versionSetToWire } from '../../src/paths/version-wire';

function contextToWire(vector: VersionVector): storageV1.VersionVectorEntry[] {
  return vector.entries().map(([actor, counter]) => ({ actor, counter }));
}

export type NodeMode = 'up' | 'down' | 'hang';

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

  constructor(readonly nodeId: string) {}

  get address(): string {
    return `fake://${this.nodeId}`;
  }

  apply(operation: PreparedOperation): ReplicaReply {
    switch (operation.kind) {
      case 'write':
      case 'delete': {
        const request =
          operation.kind === 'write'
            ? storageV1.WriteRequest.decode(operation.bytes)
            : storageV1.DeleteRequest.decode(operation.bytes);
        if (request.hintFor) {
          this.hints.push({ owner: request.hintFor.nodeId, request });
          return { kind: operation.kind, value: { versions: undefined, clock: [] } };
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
            ? { versions: undefined, clock: contextToWire(readContext(next)) }
            : { versions: versionSetToWire(next), clock: [] };
        this.replies.push(reply);
        return { kind: operation.kind, value: reply };
      }
      case 'read': {
        const request = storageV1.ReadRequest.decode(operation.bytes);
        const set = this.data.get(`${request.tenantId}/${request.key}`);
        return {
          kind: 'read',
          value: { found: set !== undefined, versions: set ? versionSetToWire(set) : undefined },
        };
      }
      case 'repair': {
        const request = storageV1.RepairRequest.decode(operation.bytes);
        const id = `${request.tenantId}/${request.key}`;
        const incoming = versionSetFromWire(request.versions!);
        const current = this.data.get(id);
        const next = current ? sync(current, incoming) : incoming;
        this.data.set(id, next);
        return { kind: 'repair', value: { versions: versionSetToWire(next) } };
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

  /** Fixed placement: the nodes in order, first `rf` are replicas. */
  placementOf(_tenantId: string, _key: string, replicationFactor: number): Placement {
    const all: ReplicaNode[] = this.nodes.map((n) => ({ nodeId: n.nodeId, address: n.address }));
    return { replicas: all.slice(0, replicationFactor), standIns: all.slice(replicationFactor) };
  }

  async send(
    target: ReplicaNode,
    operation: PreparedOperation,
    timeoutMs: number,
  ): Promise<ReplicaReply> {
    const node = this.node(target.nodeId);
    node.received.push(operation.kind);
    if (node.mode === 'down') throw new ReplicaError(node.nodeId, 14, 'connection refused');
    if (node.mode === 'hang' || node.delayMs > timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, timeoutMs));
      throw new ReplicaError(node.nodeId, 4, `no reply within ${timeoutMs} ms`);
    }
    if (node.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, node.delayMs));
    return node.apply(operation);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
