// The coordinator's data path to storage nodes (docs/architecture.md#performance-design): one
// long-lived bidirectional Exchange stream per node. Requests queued during one event-loop turn
// leave as one batch (capped by count and bytes); replies come back tagged with the request id.
// Deadlines apply per request, checked by one timer per connection rather than one per request (a
// timer each cost three timer objects per write); a broken stream fails its in-flight requests and
// the next request reopens it.
import {
  credentials,
  makeGenericClientConstructor,
  status,
  type Client,
  type ClientDuplexStream,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { GRPC_MESSAGE_BYTES_MAX, storageV1 } from '@pairdb/proto';
import type { ReplicaFailure } from '../replicas/replica-failure';
import type {
  PreparedOperation,
  ReplicaNode,
  ReplicaReply,
  ReplicaTransport,
} from '../replicas/replica-transport';
import { failureFromStatus, replyFromStorage } from '../replicas/storage-replies';
import { encodeExchangeRequest, type OutgoingItem } from './exchange-codec';

/** Items per batch message: bounds one message and one storage-node turn. */
export const BATCH_ITEMS_MAX = 512;
/** Bytes per batch message, below the node's 64 MiB receive limit with room to spare. */
export const BATCH_BYTES_MAX = 8 * 1024 * 1024;
/** Requests in flight per node: past this, new requests fail fast instead of queueing forever. */
export const INFLIGHT_PER_NODE_MAX = 65_536;

const exchangeDefinition: ServiceDefinition = {
  exchange: {
    path: '/pairdb.storage.v1.StorageService/Exchange',
    requestStream: true,
    responseStream: true,
    requestSerialize: (items: readonly OutgoingItem[]) => encodeExchangeRequest(items),
    requestDeserialize: () => {
      throw new Error('the coordinator never decodes Exchange requests');
    },
    responseSerialize: (value: storageV1.ExchangeResponse) =>
      Buffer.from(storageV1.ExchangeResponse.encode(value).finish()),
    responseDeserialize: (bytes: Buffer) => storageV1.ExchangeResponse.decode(bytes),
  },
};
const ExchangeClient = makeGenericClientConstructor(exchangeDefinition, 'StorageExchange');

interface Pending {
  readonly nodeId: string;
  readonly kind: PreparedOperation['kind'];
  readonly resolve: (reply: ReplicaReply) => void;
  readonly reject: (failure: ReplicaFailure) => void;
  readonly timeoutMs: number;
  /** performance.now() past which the request fails DEADLINE_EXCEEDED. */
  readonly deadlineMs: number;
}

export interface ExchangeEvents {
  /** A batch message left for a node, holding `items` requests. */
  onBatch?(items: number): void;
}

class NodeConnection {
  private readonly client: Client & {
    exchange(): ClientDuplexStream<readonly OutgoingItem[], storageV1.ExchangeResponse>;
  };
  private stream:
    ClientDuplexStream<readonly OutgoingItem[], storageV1.ExchangeResponse> | undefined;
  private readonly pending = new Map<number, Pending>();
  private queue: OutgoingItem[] = [];
  private flushScheduled = false;
  private nextId = 1;
  /** The one deadline timer, armed for `sweepAtMs`: never later than the earliest deadline. */
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepAtMs = Infinity;

  constructor(
    readonly node: ReplicaNode,
    private readonly events: ExchangeEvents,
  ) {
    this.client = new ExchangeClient(node.address, credentials.createInsecure(), {
      'grpc.max_receive_message_length': GRPC_MESSAGE_BYTES_MAX,
      'grpc.max_send_message_length': GRPC_MESSAGE_BYTES_MAX,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 5_000,
    }) as unknown as NodeConnection['client'];
  }

  send(operation: PreparedOperation, timeoutMs: number): Promise<ReplicaReply> {
    if (this.pending.size >= INFLIGHT_PER_NODE_MAX) {
      return Promise.reject(
        failureFromStatus(
          this.node.nodeId,
          status.RESOURCE_EXHAUSTED,
          `${this.pending.size} requests already in flight`,
        ),
      );
    }
    const id = this.allocateId();
    const deadlineMs = performance.now() + timeoutMs;
    if (deadlineMs < this.sweepAtMs) this.armSweep(deadlineMs);
    return new Promise<ReplicaReply>((resolve, reject) => {
      this.pending.set(id, {
        nodeId: this.node.nodeId,
        kind: operation.kind,
        resolve,
        reject,
        timeoutMs,
        deadlineMs,
      });
      this.queue.push({ id, timeoutMs, operation });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  close(): void {
    this.failAll(status.UNAVAILABLE, 'connection closed');
    clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    this.sweepAtMs = Infinity;
    this.stream?.cancel();
    this.client.close();
  }

  private armSweep(atMs: number): void {
    clearTimeout(this.sweepTimer);
    this.sweepAtMs = atMs;
    this.sweepTimer = setTimeout(() => this.sweep(), Math.max(0, atMs - performance.now()));
  }

  /**
   * Fails every request past its deadline and re-arms for the earliest one left. Requests
   * mostly answer long before their deadline, so the timer fires about once per timeout and
   * each time scans only what is in flight.
   */
  private sweep(): void {
    this.sweepTimer = undefined;
    this.sweepAtMs = Infinity;
    const now = performance.now();
    let earliestMs = Infinity;
    for (const [id, pending] of this.pending) {
      if (pending.deadlineMs <= now) {
        this.pending.delete(id);
        pending.reject(
          failureFromStatus(
            pending.nodeId,
            status.DEADLINE_EXCEEDED,
            `no reply within ${pending.timeoutMs} ms`,
          ),
        );
      } else if (pending.deadlineMs < earliestMs) {
        earliestMs = pending.deadlineMs;
      }
    }
    if (earliestMs !== Infinity) this.armSweep(earliestMs);
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = this.nextId >= 0xffff_ffff ? 1 : this.nextId + 1;
      if (!this.pending.has(id)) return id;
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const queued = this.queue.filter((item) => this.pending.has(item.id));
    this.queue = [];
    if (queued.length === 0) return;
    const stream = this.openStream();
    let batch: OutgoingItem[] = [];
    let bytes = 0;
    for (const item of queued) {
      if (
        batch.length >= BATCH_ITEMS_MAX ||
        (batch.length > 0 && bytes + item.operation.bytes.length > BATCH_BYTES_MAX)
      ) {
        this.write(stream, batch);
        batch = [];
        bytes = 0;
      }
      batch.push(item);
      bytes += item.operation.bytes.length + 16;
    }
    this.write(stream, batch);
  }

  private write(
    stream: ClientDuplexStream<readonly OutgoingItem[], storageV1.ExchangeResponse>,
    batch: readonly OutgoingItem[],
  ): void {
    stream.write(batch);
    this.events.onBatch?.(batch.length);
  }

  private openStream(): ClientDuplexStream<readonly OutgoingItem[], storageV1.ExchangeResponse> {
    if (this.stream) return this.stream;
    const stream = this.client.exchange();
    stream.on('data', (response: storageV1.ExchangeResponse) => {
      for (const result of response.results) this.settle(result);
    });
    const broken = (code: number, message: string) => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.failAll(code, message);
    };
    stream.on('error', (error: Error & { code?: number; details?: string }) =>
      broken(error.code ?? status.UNAVAILABLE, error.details || error.message),
    );
    stream.on('end', () => broken(status.UNAVAILABLE, 'stream ended by the storage node'));
    this.stream = stream;
    return stream;
  }

  private settle(result: storageV1.ExchangeResult): void {
    const pending = this.pending.get(result.id);
    if (!pending) return; // timed out already
    this.pending.delete(result.id);
    let reply: ReplicaReply;
    try {
      reply = replyFromStorage(pending.nodeId, pending.kind, result.outcome);
    } catch (failure) {
      pending.reject(failure as ReplicaFailure);
      return;
    }
    pending.resolve(reply);
  }

  private failAll(code: number, message: string): void {
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const pending of failed) {
      pending.reject(failureFromStatus(pending.nodeId, code, message));
    }
  }
}

/** One NodeConnection per storage node, created on first use. */
export class StreamingReplicaTransport implements ReplicaTransport {
  private readonly connections = new Map<string, NodeConnection>();

  constructor(private readonly events: ExchangeEvents = {}) {}

  send(node: ReplicaNode, operation: PreparedOperation, timeoutMs: number): Promise<ReplicaReply> {
    let connection = this.connections.get(node.nodeId);
    if (connection && connection.node.address !== node.address) {
      connection.close();
      connection = undefined;
    }
    if (!connection) {
      connection = new NodeConnection(node, this.events);
      this.connections.set(node.nodeId, connection);
    }
    return connection.send(operation, timeoutMs);
  }

  async close(): Promise<void> {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }
}
