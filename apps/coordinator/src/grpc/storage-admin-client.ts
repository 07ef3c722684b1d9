// The migration driver's and the anti-entropy runner's edge to storage nodes
// (docs/architecture.md#membership-and-migrations, docs/architecture.md#anti-entropy): range
// scans, digests, fence raises, range drops and batched repairs, each request carrying the ring
// version and the driver's (or runner's) epoch so a node refuses a stale one. Plain unary and
// server-streaming calls: migration traffic is bulk and rare, unlike the request paths'
// Exchange stream. Replies come back as domain types; a gRPC error becomes a ReplicaFailure.
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { GRPC_MESSAGE_BYTES_MAX, storageV1 } from '@pairdb/proto';
import { DIGEST_SEGMENT_BITS, type RingLayout, type TokenRange } from '@pairdb/hashring';
import type { VersionSet } from '@pairdb/vectorclock';
import {
  conflictPolicyToWire,
  ringLayoutToWire,
  versionSetFromWire,
  versionSetToWire,
  type ConflictPolicy,
} from '@pairdb/wire-contract';
import type { NodeHealthReport } from '../node-health-probes';
import { ReplicaFailure } from '../replicas/replica-failure';
import type { ReplicaNode } from '../replicas/replica-transport';
import { failureFromStatus } from '../replicas/storage-replies';

/**
 * Who asks, and under which ring version: nodes refuse a stale version or epoch. A migration
 * driver names its migration; the anti-entropy runner names ANTI_ENTROPY_FENCE_ID.
 */
export interface DriverFence {
  readonly migrationId: string;
  readonly epoch: number;
  readonly ringVersion: number;
}

export interface ScannedEntry {
  readonly key: string;
  /** The node's storage key: the resume point of a scan or a drop. */
  readonly engineKey: Buffer;
  readonly versions: VersionSet;
  /** Encoded size, for the bytes-copied count. */
  readonly sizeBytes: number;
}

/** One digest per bucket of digestBucketsOf(range) (@pairdb/hashring), in its order. */
export interface RangeDigest {
  readonly buckets: readonly Buffer[];
  readonly keyCount: number;
  /** The node's clock before which its stores are in this digest (for markRangeRepaired). */
  readonly repairHorizonMs: number;
}

/** Entries per scan message: about 1 MiB of 1 KiB values. */
export const SCAN_PAGE_ENTRIES = 1_000;
/** Keys a node removes per DropRange call. */
export const DROP_RANGE_KEYS_PER_CALL = 2_000;

export class StorageAdminClient {
  private readonly clients = new Map<string, storageV1.StorageServiceClient>();

  constructor(private readonly timeoutMs: number) {}

  /** Every entry of `tenantId` in `range` after `afterKey`, a page at a time. */
  async *scan(
    node: ReplicaNode,
    tenantId: string,
    range: TokenRange,
    afterKey: Buffer | null,
    fence: DriverFence,
  ): AsyncGenerator<ScannedEntry[]> {
    const call = this.client(node).scanRange({
      range: { start: range.start, end: range.end },
      tenantId,
      afterKey: afterKey ?? Buffer.alloc(0),
      pageSize: SCAN_PAGE_ENTRIES,
      ringVersion: BigInt(fence.ringVersion),
      fence: fenceToWire(fence),
    });
    try {
      for await (const message of call as AsyncIterable<storageV1.ScanRangeResponse>) {
        yield message.entries.map((entry) => ({
          key: entry.key,
          engineKey: entry.engineKey,
          versions: versionSetFromWire('versions', entry.versions),
          sizeBytes: storageV1.ScannedVersion.encode(entry).finish().length,
        }));
      }
    } catch (error) {
      throw failureOf(node, error);
    } finally {
      call.cancel();
    }
  }

  digest(
    node: ReplicaNode,
    tenantId: string,
    range: TokenRange,
    fence: DriverFence,
  ): Promise<RangeDigest> {
    return this.unary(node, 'rangeDigest', {
      range: { start: range.start, end: range.end },
      tenantId,
      ringVersion: BigInt(fence.ringVersion),
    }).then((reply) => {
      // A node cutting segments otherwise (another release) gives buckets that do not line up.
      if (reply.segmentBits !== DIGEST_SEGMENT_BITS) {
        throw new ReplicaFailure(
          node.nodeId,
          'refused',
          `digest segment_bits ${reply.segmentBits}, this coordinator cuts ${DIGEST_SEGMENT_BITS}`,
        );
      }
      return {
        buckets: reply.bucketDigests,
        keyCount: Number(reply.keyCount),
        repairHorizonMs: Number(reply.repairHorizonMs),
      };
    });
  }

  /**
   * Tells an owner that anti-entropy compared `range` on every owner: what it stored before
   * `verifiedBeforeMs` (its digest's repair horizon) may have its tombstones purged
   * (docs/architecture.md#tombstone-purge).
   */
  async markRangeRepaired(
    node: ReplicaNode,
    tenantId: string,
    range: TokenRange,
    verifiedBeforeMs: number,
    fence: DriverFence,
  ): Promise<void> {
    await this.unary(node, 'markRangeRepaired', {
      tenantId,
      range: { start: range.start, end: range.end },
      ringVersion: BigInt(fence.ringVersion),
      fence: fenceToWire(fence),
      verifiedBeforeMs: BigInt(verifiedBeforeMs),
    });
  }

  /**
   * Merges every entry into the node's copies in one RepairBatch call (DVVSet sync, as Repair);
   * resolves once the node made all of them durable. One invalid entry refuses the whole batch.
   */
  async repairBatch(
    node: ReplicaNode,
    tenantId: string,
    entries: ReadonlyArray<{ readonly key: string; readonly versions: VersionSet }>,
    policy: ConflictPolicy,
    fence: DriverFence,
  ): Promise<void> {
    const conflictPolicy = conflictPolicyToWire(policy);
    await this.unary(node, 'repairBatch', {
      items: entries.map((entry) => ({
        tenantId,
        key: entry.key,
        versions: versionSetToWire(entry.versions),
        conflictPolicy,
      })),
      ringVersion: BigInt(fence.ringVersion),
      fence: fenceToWire(fence),
    });
  }

  /**
   * Raises the node's minimum accepted ring version and hands it that version's layout; resolves
   * to its minimum after the raise (both durable on the node).
   */
  async raiseRingVersion(
    node: ReplicaNode,
    fence: DriverFence,
    layout: RingLayout,
  ): Promise<number> {
    const reply = await this.unary(node, 'raiseRingVersion', {
      ringVersion: BigInt(fence.ringVersion),
      fence: fenceToWire(fence),
      layout: ringLayoutToWire(layout),
    });
    return Number(reply.minRingVersion);
  }

  /** Removes up to DROP_RANGE_KEYS_PER_CALL keys of the range after `afterKey`. */
  async dropRange(
    node: ReplicaNode,
    tenantId: string,
    range: TokenRange,
    afterKey: Buffer | null,
    fence: DriverFence,
  ): Promise<{ keysDropped: number; lastKey: Buffer; done: boolean }> {
    const reply = await this.unary(node, 'dropRange', {
      tenantId,
      range: { start: range.start, end: range.end },
      ringVersion: BigInt(fence.ringVersion),
      fence: fenceToWire(fence),
      afterKey: afterKey ?? Buffer.alloc(0),
      limit: DROP_RANGE_KEYS_PER_CALL,
    });
    return { keysDropped: Number(reply.keysDropped), lastKey: reply.lastKey, done: reply.done };
  }

  /** The node's report of itself; within `timeoutMs`, by default the client's timeout. */
  async health(node: ReplicaNode, timeoutMs = this.timeoutMs): Promise<NodeHealthReport> {
    const reply = await this.unary(node, 'healthCheck', {}, timeoutMs);
    return {
      serving: reply.serving,
      approximateKeyCount: Number(reply.approximateKeyCount),
      hintsPending: Number(reply.hintsPending),
      freeDiskBytes: Number(reply.freeDiskBytes),
    };
  }

  /** Whether the node answers a health check within the timeout. */
  async reachable(node: ReplicaNode): Promise<boolean> {
    try {
      await this.unary(node, 'healthCheck', {});
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private client(node: ReplicaNode): storageV1.StorageServiceClient {
    let client = this.clients.get(node.address);
    if (!client) {
      client = new storageV1.StorageServiceClient(node.address, credentials.createInsecure(), {
        'grpc.max_receive_message_length': GRPC_MESSAGE_BYTES_MAX,
        'grpc.max_send_message_length': GRPC_MESSAGE_BYTES_MAX,
      });
      this.clients.set(node.address, client);
    }
    return client;
  }

  private unary<M extends keyof UnaryReplies>(
    node: ReplicaNode,
    method: M,
    request: Parameters<storageV1.StorageServiceClient[M]>[0],
    timeoutMs = this.timeoutMs,
  ): Promise<UnaryReply<M>> {
    const client = this.client(node);
    const call = client[method].bind(client) as unknown as (
      request: unknown,
      options: { deadline: number },
      callback: (error: ServiceError | null, reply: UnaryReply<M>) => void,
    ) => void;
    return new Promise((resolve, reject) =>
      call(request, { deadline: Date.now() + timeoutMs }, (error, reply) =>
        error ? reject(failureOf(node, error)) : resolve(reply),
      ),
    );
  }
}

interface UnaryReplies {
  healthCheck: storageV1.HealthCheckResponse;
  rangeDigest: storageV1.RangeDigestResponse;
  repairBatch: storageV1.RepairBatchResponse;
  raiseRingVersion: storageV1.RaiseRingVersionResponse;
  dropRange: storageV1.DropRangeResponse;
  markRangeRepaired: storageV1.MarkRangeRepairedResponse;
}

type UnaryReply<M extends keyof UnaryReplies> = UnaryReplies[M];

function fenceToWire(fence: DriverFence): storageV1.MigrationFence {
  return { migrationId: fence.migrationId, epoch: BigInt(fence.epoch) };
}

function failureOf(node: ReplicaNode, error: unknown): ReplicaFailure {
  if (error instanceof ReplicaFailure) return error;
  const grpc = error as Partial<ServiceError>;
  if (typeof grpc.code === 'number') {
    return failureFromStatus(node.nodeId, grpc.code, grpc.details ?? grpc.message ?? '');
  }
  return new ReplicaFailure(node.nodeId, 'failed', (error as Error).message);
}
