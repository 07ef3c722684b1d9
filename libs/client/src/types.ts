// Plain types of the client API: what callers see instead of the generated protocol messages.
// Clock counters stay bigint (hybrid logical clock readings exceed 2^53); versions, sizes and
// timestamps in milliseconds fit a number.

export const CONSISTENCY_LEVELS = ['one', 'quorum', 'all'] as const;
export type Consistency = (typeof CONSISTENCY_LEVELS)[number];

export const CONFLICT_RESOLUTIONS = ['lww', 'siblings'] as const;
export type ConflictResolution = (typeof CONFLICT_RESOLUTIONS)[number];

/** One event of a version vector: a coordinator (actor) and its clock reading (counter). */
export interface ClockEntry {
  readonly actor: string;
  readonly counter: bigint;
}

/** A version vector: the causal context a read returns and the next write passes back. */
export type VectorClock = readonly ClockEntry[];

export interface WriteOptions {
  /** Default: the coordinator's configured level (quorum). */
  consistency?: Consistency;
  /** Same key + same request => same response, applied once; makes the write retryable. */
  idempotencyKey?: string;
  /** The vectorClock of the read this write follows; default empty (a blind write). */
  context?: VectorClock;
  /** Deadline of the whole call, retries included; default the client's timeoutMs. */
  timeoutMs?: number;
}

export interface ReadOptions {
  /** Default: the coordinator's configured level (quorum). */
  consistency?: Consistency;
  /** Deadline of the whole call, retries included; default the client's timeoutMs. */
  timeoutMs?: number;
}

export interface CallOptions {
  /** Deadline of the whole call, retries included; default the client's timeoutMs. */
  timeoutMs?: number;
}

export interface WriteResult {
  readonly key: string;
  readonly idempotencyKey: string;
  /** The clock after this write: the context for a write that should follow it. */
  readonly vectorClock: VectorClock;
  /** Replicas that acknowledged before the coordinator answered. */
  readonly replicaCount: number;
  readonly consistency: string;
  /** True when the answer is the stored response of an earlier request with the same key. */
  readonly isDuplicate: boolean;
}

export interface Sibling {
  readonly value: Buffer;
  /** The event that wrote this value; undefined only from a server that omits it. */
  readonly dot: ClockEntry | undefined;
}

export interface ReadResult {
  readonly key: string;
  /** The winner (lww) or the first sibling. */
  readonly value: Buffer;
  /** The context for the next write. */
  readonly vectorClock: VectorClock;
  /** Every concurrent value: one under lww, one or more under siblings. */
  readonly siblings: readonly Sibling[];
}

export interface DeleteResult {
  readonly key: string;
  readonly replicaCount: number;
}

export interface Tenant {
  readonly tenantId: string;
  readonly replicationFactor: number;
  readonly conflictResolution: string;
  /** Optimistic-lock version: pass it as expectedVersion to update safely. */
  readonly version: number;
  readonly createdAtUnixMs: number;
  readonly updatedAtUnixMs: number;
}

export interface CreateTenantOptions extends CallOptions {
  /** 1..5; default the coordinator's (3). */
  replicationFactor?: number;
  /** Default lww. */
  conflictResolution?: ConflictResolution;
}

export interface SetReplicationFactorOptions extends CallOptions {
  /** Fail with ConflictError unless the tenant is at this version; default: no check. */
  expectedVersion?: number;
}

export interface StorageNode {
  readonly nodeId: string;
  readonly host: string;
  readonly port: number;
  /** joining | active | draining | inactive (kept a string: newer servers may add states). */
  readonly status: string;
  readonly virtualNodes: number;
  /**
   * What the coordinator's HealthCheck of the node found. Only when listed with includeHealth,
   * never for an inactive node, and absent from a coordinator older than the option.
   */
  readonly health?: NodeHealthProbe;
}

export interface ListStorageNodesOptions extends CallOptions {
  /**
   * Have the coordinator probe each node that is not inactive (in parallel, about 2 s each) and
   * fill StorageNode.health: it reaches nodes at addresses only its network resolves. Default
   * false.
   */
  includeHealth?: boolean;
}

/** One coordinator HealthCheck of one storage node: its report, or why there was none. */
export type NodeHealthProbe =
  | {
      readonly answered: true;
      /** It takes requests (false while it starts or drains). */
      readonly serving: boolean;
      /** Keys it stores, every tenant; -1 when it cannot count them. */
      readonly approximateKeyCount: number;
      readonly hintsPending: number;
      readonly freeDiskBytes: number;
    }
  | {
      readonly answered: false;
      /** Why it did not answer the coordinator (unreachable, timed out, ...). */
      readonly error: string;
    };

export interface AddStorageNodeRequest {
  readonly nodeId: string;
  readonly host: string;
  readonly port: number;
  /** Default: the coordinator's (150). */
  readonly virtualNodes?: number;
  /**
   * Default false. True: a node already registered under this id at this address is answered
   * with success and left as it is (a storage node registering itself at start).
   */
  readonly acceptRegistered?: boolean;
}

export interface NodeChange {
  /** Empty when the change moves no data (a node registered active at once). */
  readonly migrationId: string;
}

export interface AddedStorageNode extends NodeChange {
  readonly node: StorageNode;
  /** The node was already registered at this address (acceptRegistered); nothing changed. */
  readonly alreadyRegistered: boolean;
}

/**
 * A replication factor change: the tenant as it is now (its factor changes when the migration
 * completes) and the migration that copies its data to the new replicas.
 */
export interface ReplicationFactorChange {
  readonly tenant: Tenant;
  readonly migrationId: string;
}

export interface Migration {
  readonly migrationId: string;
  readonly type: string;
  readonly nodeId: string;
  readonly status: string;
  readonly phase: string;
  readonly keysMigrated: number;
  readonly totalKeys: number;
  readonly percentage: number;
  readonly startedAtUnixMs: number;
  /** 0 while running. */
  readonly completedAtUnixMs: number;
  readonly errorMessage: string;
  /** A replication_factor_change's tenant and factors ('' and 0 otherwise). */
  readonly tenantId: string;
  readonly fromReplicationFactor: number;
  readonly toReplicationFactor: number;
  /** Moving ranges copied and verified, of all. */
  readonly rangesDone: number;
  readonly rangesTotal: number;
  readonly bytesMigrated: number;
  /** What a forced removal lost; '' otherwise. */
  readonly lostRanges: string;
}

/** One anti-entropy pass: asked for by startRepair, or scheduled by the cluster. */
export interface Repair {
  readonly repairId: string;
  /** The tenant it covers; '' for every tenant. */
  readonly tenantId: string;
  /** pending | running | completed | incomplete (kept a string: newer servers may add some). */
  readonly status: string;
  /** Asked for by startRepair (else scheduled). */
  readonly requested: boolean;
  readonly rangesDone: number;
  /** 0 until the pass has planned its ranges. */
  readonly rangesTotal: number;
  readonly keysRepaired: number;
  readonly bucketsDiffering: number;
  /** 0 when not reached; the metadata database's clock. */
  readonly requestedAtUnixMs: number;
  readonly startedAtUnixMs: number;
  readonly completedAtUnixMs: number;
  /** Why it is incomplete; '' otherwise. */
  readonly message: string;
}

/** A storage node's last completed anti-entropy pass. */
export interface NodeRepair {
  readonly nodeId: string;
  /** 0: no completed pass compared it yet. */
  readonly lastCompletedAtUnixMs: number;
  /** Keys that pass repaired into the node. */
  readonly keysRepaired: number;
}

export interface RepairStatus {
  /** The repair asked for by id. */
  readonly repair?: Repair;
  /** The pass running now. */
  readonly running?: Repair;
  /** The newest pass that compared every range on every owner. */
  readonly lastCompleted?: Repair;
  /** Ordered by node id; nodes no completed pass compared are absent. */
  readonly nodes: readonly NodeRepair[];
}

/** A storage node's own view of itself (the internal HealthCheck RPC). */
export interface StorageNodeHealth {
  readonly nodeId: string;
  readonly serving: boolean;
  readonly hintsPending: number;
  readonly freeDiskBytes: number;
  /** Keys with stored versions on this node, every tenant; tombstones until compacted. */
  readonly approximateKeyCount: number;
}
