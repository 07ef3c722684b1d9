// What the coordinator's request paths know of the metadata database: plain domain objects
// and the operations below. Implementations (SqlMetadataStore on PostgreSQL or PGlite) throw
// only the named errors of metadata-errors.ts for expected situations.
//
// Laws:
// - A tenant's `version` starts at 1 and grows by exactly 1 per successful update; an update
//   names the version it read and fails with VersionConflictError if another came first, so
//   of concurrent updates from the same version exactly one wins.
// - The ring version grows by exactly 1 with every storage-node change (add, status change,
//   remove), in the same transaction as the change, and each bump NOTIFYs its new value to
//   every onRingChange listener (of every coordinator on the same database) after commit.
//   Admitting a migration and every step of one bump it too.
// - At most one migration is unfinished (pending or in progress), whatever its kind.
// - Of two calls holding the same driver epoch, the one made after a newer claim fails: a
//   takeover fences the old driver out of every update.
// - A coordinator id is held by at most one instance with a live lease (database clock), and
//   its HLC high-water mark never decreases.

/** Replication factor bounds (docs/architecture.md#metadata); the schema's CHECK says the same. */
export const REPLICATION_FACTOR_MIN = 1;
export const REPLICATION_FACTOR_MAX = 5;
/**
 * Virtual nodes per storage node when none is given (docs/architecture.md#the-ring-and-placement).
 */
export const VIRTUAL_NODES_DEFAULT = 150;
/** PostgreSQL NOTIFY channel of ring-version bumps; the payload is the new version. */
export const RING_CHANGE_CHANNEL = 'pairdb_ring';
/** Longest tenant, node and migration id: the VARCHAR(255) of the schema. */
export const METADATA_ID_LENGTH_MAX = 255;
/** Longest coordinator instance id: the VARCHAR(64) of the schema (a UUID is 36). */
export const COORDINATOR_INSTANCE_ID_LENGTH_MAX = 64;
/** Longest lease the store accepts: a day; anything longer is a unit mistake. */
export const LEASE_MS_MAX = 24 * 60 * 60 * 1000;
/** Most migrations one listMigrations call returns. */
export const MIGRATIONS_LISTED_MAX = 1000;
/** Most anti-entropy passes one listAntiEntropyPasses call returns. */
export const ANTI_ENTROPY_PASSES_LISTED_MAX = 1000;
/**
 * Finished repairs kept besides the newest completed one: a pass starts every few seconds on a
 * local cluster, so the table is pruned as passes start.
 */
export const REPAIRS_KEPT = 100;

export type ConflictResolution = 'lww' | 'siblings';
export const CONFLICT_RESOLUTIONS: readonly ConflictResolution[] = ['lww', 'siblings'];

export type NodeStatus = 'joining' | 'active' | 'draining' | 'inactive';
export const NODE_STATUSES: readonly NodeStatus[] = ['joining', 'active', 'draining', 'inactive'];

export type MigrationType = 'node_addition' | 'node_deletion' | 'replication_factor_change';
export const MIGRATION_TYPES: readonly MigrationType[] = [
  'node_addition',
  'node_deletion',
  'replication_factor_change',
];

export type MigrationStatus =
  'pending' | 'in_progress' | 'completed' | 'failed' | 'cancelled' | 'rolled_back';
export const MIGRATION_STATUSES: readonly MigrationStatus[] = [
  'pending',
  'in_progress',
  'completed',
  'failed',
  'cancelled',
  'rolled_back',
];
/** At most one migration has one of these (the schema's unique index says the same). */
export const UNFINISHED_MIGRATION_STATUSES: readonly MigrationStatus[] = ['pending', 'in_progress'];

/** How a driver ends a migration. */
export type MigrationOutcome = 'completed' | 'failed' | 'rolled_back';
export const MIGRATION_OUTCOMES: readonly MigrationOutcome[] = [
  'completed',
  'failed',
  'rolled_back',
];

/**
 * The forward phases in order, then rolling_back, which a migration enters instead of cutover
 * and leaves only as rolled_back (docs/architecture.md#membership-metadata).
 */
export type MigrationPhase = 'dual_write' | 'data_copy' | 'cutover' | 'cleanup' | 'rolling_back';
export const MIGRATION_PHASES: readonly MigrationPhase[] = [
  'dual_write',
  'data_copy',
  'cutover',
  'cleanup',
  'rolling_back',
];
/** Phases after which a migration only rolls forward: reads may already use the new owners. */
export const ROLL_FORWARD_PHASES: readonly MigrationPhase[] = ['cutover', 'cleanup'];

export interface Tenant {
  tenantId: string;
  replicationFactor: number;
  conflictResolution: ConflictResolution;
  version: number;
  createdAtUnixMs: number;
  updatedAtUnixMs: number;
}

export interface NewTenant {
  tenantId: string;
  replicationFactor: number;
  /** Default 'lww'. */
  conflictResolution?: ConflictResolution;
}

export interface StorageNode {
  nodeId: string;
  host: string;
  port: number;
  status: NodeStatus;
  virtualNodes: number;
  createdAtUnixMs: number;
  updatedAtUnixMs: number;
}

export interface NewStorageNode {
  nodeId: string;
  host: string;
  port: number;
  /** Default VIRTUAL_NODES_DEFAULT. */
  virtualNodes?: number;
  /** Default 'joining': a node takes reads only after its migration's cutover. */
  status?: NodeStatus;
}

export interface Migration {
  migrationId: string;
  type: MigrationType;
  /** The node joining or leaving; '' for a replication_factor_change, which moves no node. */
  nodeId: string;
  /** The tenant of a replication_factor_change; null for node migrations. */
  tenantId: string | null;
  /** Replication factors of a replication_factor_change; null for node migrations. */
  fromReplicationFactor: number | null;
  toReplicationFactor: number | null;
  /** A node deletion that may lose ranges no surviving replica holds (RF 1). */
  force: boolean;
  status: MigrationStatus;
  phase: MigrationPhase;
  /** The instance holding the driver lease (lapsed or not); null before the first claim. */
  driverInstanceId: string | null;
  /** Grows with every claim; every driver update is conditional on it. */
  driverEpoch: number;
  keysMigrated: number;
  totalKeys: number;
  bytesMigrated: number;
  rangesDone: number;
  rangesTotal: number;
  /** Ranges a forced deletion could not rebuild, as the driver described them. */
  lostRanges: string | null;
  /** The ring version of the current phase. */
  ringVersion: number;
  startedAtUnixMs: number;
  updatedAtUnixMs: number;
  /** Set when the status becomes final (completed, failed, cancelled, rolled_back). */
  completedAtUnixMs: number | null;
  errorMessage: string | null;
}

/** An admitted migration or a step of one, with the ring version it produced. */
export interface Admitted {
  migration: Migration;
  ringVersion: number;
}

/** One step of a migration: a new phase, a final status, or both. */
export interface MigrationStep {
  phase?: MigrationPhase;
  status?: MigrationOutcome;
  /** null clears it; absent keeps it. */
  errorMessage?: string | null;
  lostRanges?: string;
}

/** Progress counters of a migration, replaced as a whole. */
export interface MigrationProgress {
  keysMigrated: number;
  bytesMigrated: number;
  rangesDone: number;
  rangesTotal: number;
  totalKeys: number;
}

/** Copy progress of one token range of one tenant from one source to one destination. */
export interface CopyCheckpoint {
  migrationId: string;
  tenantId: string;
  /** Ring tokens (uint64); a range may wrap, so rangeStart > rangeEnd is legal. */
  rangeStart: bigint;
  rangeEnd: bigint;
  sourceNodeId: string;
  destinationNodeId: string;
  /** The last key copied, as raw bytes; null before the first. */
  lastKey: Buffer | null;
  keysCopied: number;
  bytesCopied: number;
  completed: boolean;
}

export interface CoordinatorClaim {
  coordinatorId: string;
  /** This process (random per start, at most COORDINATOR_INSTANCE_ID_LENGTH_MAX characters). */
  instanceId: string;
  /** Where it serves, for operators; null when unknown. */
  address: string | null;
  leaseMs: number;
}

export interface CoordinatorRenewal {
  coordinatorId: string;
  instanceId: string;
  leaseMs: number;
  /** The newest ring version this coordinator has taken. */
  takenRingVersion: number;
  /** No dot of this coordinator will exceed it before its next renewal. */
  hlcHighWater: bigint;
}

export interface LiveCoordinator {
  coordinatorId: string;
  instanceId: string;
  address: string | null;
  takenRingVersion: number;
  /** By the database's clock, at the time of the query; always > 0. */
  leaseRemainingMs: number;
}

/** A completed anti-entropy pass (docs/architecture.md#anti-entropy). */
export interface AntiEntropyPass {
  passId: string;
  /** The coordinator instance that ran it, holding the anti-entropy lease at `epoch`. */
  runnerInstanceId: string;
  epoch: number;
  /** The ring version the pass finished under. */
  ringVersion: number;
  /** The one tenant it covered; null: every tenant. */
  tenantId: string | null;
  /** By the runner's clock. */
  startedAtUnixMs: number;
  completedAtUnixMs: number;
  rangesCompared: number;
  bucketsDiffering: number;
  keysRepaired: number;
  /** Every node the pass compared, with the keys it repaired into it (0 included). */
  nodes: AntiEntropyPassNode[];
}

export interface AntiEntropyPassNode {
  nodeId: string;
  keysRepaired: number;
}

/**
 * pending: asked for, not started; running; completed: every range compared on every owner;
 * incomplete: some owner failed, or the runner stopped, lost its lease or was pre-empted.
 */
export type RepairStatus = 'pending' | 'running' | 'completed' | 'incomplete';
export const REPAIR_STATUSES: readonly RepairStatus[] = [
  'pending',
  'running',
  'completed',
  'incomplete',
];
export type RepairOutcome = 'completed' | 'incomplete';

/**
 * One anti-entropy pass, asked for by an operator or started on the runner's schedule, with its
 * progress (docs/architecture.md#anti-entropy). Times are the database's clock.
 */
export interface AntiEntropyRepair {
  /** Also the pass id of its AntiEntropyPass once completed. */
  repairId: string;
  /** null: every tenant. */
  tenantId: string | null;
  /** Asked for by StartRepair (else scheduled by the runner). */
  requested: boolean;
  status: RepairStatus;
  /** The runner and lease epoch running it; null while pending. */
  runnerInstanceId: string | null;
  epoch: number | null;
  rangesDone: number;
  /** 0 until the pass planned its ranges. */
  rangesTotal: number;
  keysRepaired: number;
  bucketsDiffering: number;
  requestedAtUnixMs: number | null;
  startedAtUnixMs: number | null;
  completedAtUnixMs: number | null;
  updatedAtUnixMs: number;
  /** Why it is incomplete. */
  message: string | null;
}

export interface RepairProgress {
  rangesDone: number;
  rangesTotal: number;
  keysRepaired: number;
  bucketsDiffering: number;
}

/** A node's newest completed pass: when it completed and the keys it repaired into the node. */
export interface NodeLastRepair {
  nodeId: string;
  completedAtUnixMs: number;
  keysRepaired: number;
}

/** Node changes answer the ring version they produced. */
export interface NodeChange {
  node: StorageNode;
  ringVersion: number;
}

/** The storage nodes and the ring version they make up, read in one snapshot. */
export interface RingSnapshot {
  ringVersion: number;
  nodes: StorageNode[];
  /** The unfinished migration (pending or in progress), if any. */
  migration: Migration | null;
}

/** Called with the new ring version; also after a lost listening connection is back. */
export type RingChangeListener = (ringVersion: number) => void;

export interface MetadataStore {
  /** Bumps the ring version (a tenant's factor is part of it). Throws TenantExistsError,
   * InvalidMetadataError. */
  createTenant(tenant: NewTenant): Promise<Tenant>;
  /** Throws TenantNotFoundError. */
  getTenant(tenantId: string): Promise<Tenant>;
  /** Sets the replication factor if the tenant is still at `expectedVersion`; version + 1.
   * Throws TenantNotFoundError, VersionConflictError, InvalidMetadataError. */
  updateReplicationFactor(
    tenantId: string,
    replicationFactor: number,
    expectedVersion: number,
  ): Promise<Tenant>;
  /** Ordered by tenant id. */
  listTenants(): Promise<Tenant[]>;
  /** The largest replication factor of any tenant (0 with no tenant): a node removal must
   * leave at least this many nodes. */
  maxReplicationFactor(): Promise<number>;

  /** Adds a node and bumps the ring version. Throws NodeExistsError, InvalidMetadataError. */
  addStorageNode(node: NewStorageNode): Promise<NodeChange>;
  /** While no tenant exists (so no key can), adds the node active and bumps the ring version,
   * in one serializable transaction against tenant creation; answers null, changing nothing,
   * once a tenant exists. Throws NodeExistsError, MigrationRunningError, InvalidMetadataError. */
  addNodeIfNoData(node: NewStorageNode): Promise<NodeChange | null>;
  /** As addNodeIfNoData, sets the node inactive. Throws NodeNotFoundError,
   * MigrationRunningError. */
  removeNodeIfNoData(nodeId: string): Promise<NodeChange | null>;
  /** Throws NodeNotFoundError. */
  getStorageNode(nodeId: string): Promise<StorageNode>;
  /** Ordered by node id; all statuses unless `statuses` narrows them. */
  listStorageNodes(statuses?: readonly NodeStatus[]): Promise<StorageNode[]>;
  /** Changes a node's status and bumps the ring version. Throws NodeNotFoundError. */
  setStorageNodeStatus(nodeId: string, status: NodeStatus): Promise<NodeChange>;
  /** Deletes the node row and bumps the ring version; resolves to the new ring version.
   * Throws NodeNotFoundError. */
  removeStorageNode(nodeId: string): Promise<number>;
  getRingVersion(): Promise<number>;
  /** Bumps the ring version without a node change (forces every coordinator to reload). */
  bumpRingVersion(): Promise<number>;
  /** All nodes, the ring version and the unfinished migration, read in one snapshot. */
  getRing(): Promise<RingSnapshot>;
  /** Listens for ring-version bumps; resolves once listening, to the unsubscribe. */
  onRingChange(listener: RingChangeListener): Promise<() => Promise<void>>;

  // Admission (docs/architecture.md#membership-metadata). Each runs in one serializable
  // transaction that refuses with MigrationRunningError while any migration is unfinished,
  // creates the migration in_progress at phase dual_write, bumps the ring version (stored as
  // migration.ringVersion) and NOTIFYs it on commit.

  /** Inserts the node 'joining'. Throws NodeExistsError (ids are never reused, whatever the
   * old node's status), MigrationExistsError, InvalidMetadataError. */
  admitNodeAddition(migrationId: string, node: NewStorageNode): Promise<Admitted>;
  /** Sets an active node 'draining'. Throws NodeNotFoundError, NodeStateError (not active),
   * NodeCountBelowReplicationFactorError, MigrationExistsError. */
  admitNodeDeletion(migrationId: string, nodeId: string, force: boolean): Promise<Admitted>;
  /** Bumps the tenant's version now (a concurrent stale update fails) but keeps its factor
   * until completion. expectedVersion 0 skips the optimistic check. Throws TenantNotFoundError,
   * VersionConflictError, InvalidMetadataError (unchanged or out-of-range factor),
   * TooFewNodesForReplicationFactorError, MigrationExistsError. */
  admitReplicationFactorChange(
    migrationId: string,
    tenantId: string,
    replicationFactor: number,
    expectedVersion: number,
  ): Promise<Admitted>;

  // Driving. One driver at a time, by lease (database clock) and epoch; every call below but
  // claim is conditional on the epoch and throws StaleDriverError when another claim came since
  // or the migration is no longer in progress.

  /** Takes the driver lease when free, lapsed or already this instance's; increments the
   * epoch and resolves to it. null while another instance holds a live lease.
   * Throws MigrationNotFoundError, StaleDriverError (not in progress). */
  claimMigrationDriver(
    migrationId: string,
    instanceId: string,
    leaseMs: number,
  ): Promise<number | null>;
  renewMigrationDriver(migrationId: string, epoch: number, leaseMs: number): Promise<void>;
  /** Conditional on (migration, epoch, expectedPhase, in_progress); always bumps the ring
   * version. A final status applies its effect on the node or tenant in the same transaction
   * (docs/architecture.md#membership-metadata). Entering rolling_back after cutover, leaving it
   * other than as rolled_back, or ending rolled_back from any other phase is refused
   * (InvalidMetadataError). */
  advanceMigration(
    migrationId: string,
    epoch: number,
    expectedPhase: MigrationPhase,
    step: MigrationStep,
  ): Promise<Admitted>;
  recordMigrationProgress(
    migrationId: string,
    epoch: number,
    progress: MigrationProgress,
  ): Promise<void>;
  /** Inserts or replaces the checkpoint of its (migration, tenant, range start, source,
   * destination). */
  upsertCopyCheckpoint(epoch: number, checkpoint: CopyCheckpoint): Promise<void>;
  /** Ordered by tenant, range start, source, destination. */
  listCopyCheckpoints(migrationId: string): Promise<CopyCheckpoint[]>;
  /** Throws MigrationNotFoundError. */
  getMigration(migrationId: string): Promise<Migration>;
  /** Newest first; `limit` in 1..MIGRATIONS_LISTED_MAX. */
  listMigrations(limit: number): Promise<Migration[]>;
  getUnfinishedMigration(): Promise<Migration | null>;

  // The coordinator registry: coordinator ids are unique among live processes.

  /** Takes the id unless another instance holds a live lease (CoordinatorIdInUseError);
   * resolves to the stored HLC high-water mark (0n for a new id). */
  claimCoordinatorId(claim: CoordinatorClaim): Promise<{ hlcHighWater: bigint }>;
  /** Throws CoordinatorLeaseLostError (row missing or another instance's),
   * StaleRingVersionError (taken version older than current - 1; the lease is not renewed). */
  renewCoordinatorLease(renewal: CoordinatorRenewal): Promise<void>;
  /** Lapses this instance's lease at once; the row (and its high-water mark) stays. */
  releaseCoordinatorId(coordinatorId: string, instanceId: string): Promise<void>;
  /** Coordinators whose lease has not lapsed, ordered by id. */
  listLiveCoordinators(): Promise<LiveCoordinator[]>;

  // Anti-entropy (docs/architecture.md#anti-entropy): one runner per cluster, by lease (database
  // clock) and epoch, as for a migration driver.

  /** Takes the anti-entropy lease when free, lapsed or already this instance's; increments the
   * epoch and resolves to it. null while another instance holds a live lease. */
  claimAntiEntropyLease(instanceId: string, leaseMs: number): Promise<number | null>;
  /** Throws StaleAntiEntropyRunnerError when the epoch is no longer the lease's. */
  renewAntiEntropyLease(instanceId: string, epoch: number, leaseMs: number): Promise<void>;
  /** Lapses the lease at once if `epoch` still holds it, so another runner need not wait. */
  releaseAntiEntropyLease(instanceId: string, epoch: number): Promise<void>;
  /** Records a completed pass, only while its epoch still holds the lease (else
   * StaleAntiEntropyRunnerError, recording nothing). Throws InvalidMetadataError. */
  recordAntiEntropyPass(pass: AntiEntropyPass): Promise<void>;
  /** Newest completed first; `limit` in 1..ANTI_ENTROPY_PASSES_LISTED_MAX. */
  listAntiEntropyPasses(limit: number): Promise<AntiEntropyPass[]>;

  // Repairs: passes asked for on any coordinator, run by the lease holder, followed anywhere.

  /** Records a pending request (tenantId null: every tenant); while one for the same tenant is
   * still pending, answers that one instead. Throws InvalidMetadataError. */
  requestRepair(repairId: string, tenantId: string | null): Promise<AntiEntropyRepair>;
  /** Whether some request waits for the runner. */
  hasPendingRepair(): Promise<boolean>;
  /** The runner starts its next pass: in one transaction conditional on holding the lease at
   * `epoch`, marks passes left running by an older epoch incomplete, then takes the oldest
   * pending request, or else records a scheduled pass `scheduledRepairId` for every tenant;
   * answers it, running. Prunes finished repairs beyond REPAIRS_KEPT.
   * Throws StaleAntiEntropyRunnerError. */
  startRepairPass(
    instanceId: string,
    epoch: number,
    scheduledRepairId: string,
  ): Promise<AntiEntropyRepair>;
  /** Replaces a running pass's counters. Throws StaleAntiEntropyRunnerError when `epoch` no
   * longer holds the lease or the pass is not running under it. */
  recordRepairProgress(repairId: string, epoch: number, progress: RepairProgress): Promise<void>;
  /** Ends a running pass (as recordRepairProgress). */
  finishRepair(
    repairId: string,
    epoch: number,
    outcome: RepairOutcome,
    progress: RepairProgress,
    message: string | null,
  ): Promise<void>;
  /** Throws RepairNotFoundError (never asked for, or pruned). */
  getRepair(repairId: string): Promise<AntiEntropyRepair>;
  /** The pass running now, if any. */
  getRunningRepair(): Promise<AntiEntropyRepair | null>;
  /** The newest completed pass, if any. */
  getLastCompletedRepair(): Promise<AntiEntropyRepair | null>;
  /** Per node, its newest completed pass (from the pass records), ordered by node id. */
  listNodeLastRepairs(): Promise<NodeLastRepair[]>;

  /** Resolves when the database answers; throws MetadataUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
