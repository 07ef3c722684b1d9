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

export type ConflictResolution = 'lww' | 'siblings';
export const CONFLICT_RESOLUTIONS: readonly ConflictResolution[] = ['lww', 'siblings'];

export type NodeStatus = 'joining' | 'active' | 'draining' | 'inactive';
export const NODE_STATUSES: readonly NodeStatus[] = ['joining', 'active', 'draining', 'inactive'];

export type MigrationType = 'node_addition' | 'node_deletion' | 'replication_factor_change';
export const MIGRATION_TYPES: readonly MigrationType[] = ['node_addition', 'node_deletion'];

export type MigrationStatus = 'pending' | 'in_progress' | 'completed' | 'failed' | 'cancelled';
export const MIGRATION_STATUSES: readonly MigrationStatus[] = [
  'pending',
  'in_progress',
  'completed',
  'failed',
  'cancelled',
];

export type MigrationPhase = 'dual_write' | 'data_copy' | 'cutover' | 'cleanup';
export const MIGRATION_PHASES: readonly MigrationPhase[] = [
  'dual_write',
  'data_copy',
  'cutover',
  'cleanup',
];

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
  nodeId: string;
  status: MigrationStatus;
  phase: MigrationPhase;
  keysMigrated: number;
  totalKeys: number;
  startedAtUnixMs: number;
  updatedAtUnixMs: number;
  /** Set when the status becomes completed, failed or cancelled. */
  completedAtUnixMs: number | null;
  errorMessage: string | null;
}

export interface NewMigration {
  migrationId: string;
  type: MigrationType;
  nodeId: string;
  /** Default 'pending'. */
  status?: MigrationStatus;
  /** Default 'dual_write'. */
  phase?: MigrationPhase;
  /** Default 0 (unknown until the copy counts it). */
  totalKeys?: number;
}

/** Fields to change; absent fields keep their value. */
export interface MigrationUpdate {
  status?: MigrationStatus;
  phase?: MigrationPhase;
  keysMigrated?: number;
  totalKeys?: number;
  /** null clears it. */
  errorMessage?: string | null;
}

/** Copy progress of one token range of a migration, the unit of resumption. */
export interface MigrationCheckpoint {
  migrationId: string;
  /** Ring tokens (uint64); a range may wrap, so rangeStart > rangeEnd is legal. */
  rangeStart: bigint;
  rangeEnd: bigint;
  /** The last key copied, as the engine's raw bytes; null before the first. */
  lastMigratedKey: Buffer | null;
  keysMigrated: number;
  completed: boolean;
  updatedAtUnixMs: number;
}

export type NewMigrationCheckpoint = Omit<MigrationCheckpoint, 'updatedAtUnixMs'>;

/** Node changes answer the ring version they produced. */
export interface NodeChange {
  node: StorageNode;
  ringVersion: number;
  /** The migration created in the same transaction, when one was asked for. */
  migration: Migration | null;
}

/** The storage nodes and the ring version they make up, read in one snapshot. */
export interface RingSnapshot {
  ringVersion: number;
  nodes: StorageNode[];
}

/** Called with the new ring version; also after a lost listening connection is back. */
export type RingChangeListener = (ringVersion: number) => void;

export interface MetadataStore {
  /** Throws TenantExistsError, InvalidMetadataError. */
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

  /** Adds a node (and, in the same transaction, its migration) and bumps the ring version.
   * Throws NodeExistsError, MigrationExistsError, InvalidMetadataError. */
  addStorageNode(node: NewStorageNode, migration?: NewMigration): Promise<NodeChange>;
  /** Throws NodeNotFoundError. */
  getStorageNode(nodeId: string): Promise<StorageNode>;
  /** Ordered by node id; all statuses unless `statuses` narrows them. */
  listStorageNodes(statuses?: readonly NodeStatus[]): Promise<StorageNode[]>;
  /** Changes a node's status (and may create its migration) and bumps the ring version.
   * Throws NodeNotFoundError, MigrationExistsError. */
  setStorageNodeStatus(
    nodeId: string,
    status: NodeStatus,
    migration?: NewMigration,
  ): Promise<NodeChange>;
  /** Deletes the node row and bumps the ring version; resolves to the new ring version.
   * Throws NodeNotFoundError. */
  removeStorageNode(nodeId: string): Promise<number>;
  getRingVersion(): Promise<number>;
  /** Bumps the ring version without a node change (forces every coordinator to reload). */
  bumpRingVersion(): Promise<number>;
  /** All nodes with the ring version, consistent with each other. */
  getRing(): Promise<RingSnapshot>;
  /** Listens for ring-version bumps; resolves once listening, to the unsubscribe. */
  onRingChange(listener: RingChangeListener): Promise<() => Promise<void>>;

  /** Throws MigrationExistsError. */
  createMigration(migration: NewMigration): Promise<Migration>;
  /** Throws MigrationNotFoundError. */
  getMigration(migrationId: string): Promise<Migration>;
  /** A final status (completed, failed, cancelled) also sets completedAtUnixMs.
   * Throws MigrationNotFoundError, InvalidMetadataError. */
  updateMigration(migrationId: string, update: MigrationUpdate): Promise<Migration>;
  /** Pending and in-progress migrations, oldest first. */
  listActiveMigrations(): Promise<Migration[]>;
  /** Inserts or replaces the checkpoint of (migrationId, rangeStart).
   * Throws MigrationNotFoundError, InvalidMetadataError. */
  upsertCheckpoint(checkpoint: NewMigrationCheckpoint): Promise<MigrationCheckpoint>;
  /** Ordered by range start. */
  listCheckpoints(migrationId: string): Promise<MigrationCheckpoint[]>;

  /** Resolves when the database answers; throws MetadataUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
