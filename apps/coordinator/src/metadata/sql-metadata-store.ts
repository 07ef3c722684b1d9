// MetadataStore written once in SQL, over any SqlExecutor (PostgreSQL pool or PGlite).
// Tables and their CHECKs: migrations/001_initial_schema.sql. Inputs are validated here
// first, so a bad value is an InvalidMetadataError naming the field, not a CHECK violation.
import { VIRTUAL_NODES_MAX } from '@pairdb/hashring';
import {
  InvalidMetadataError,
  MigrationExistsError,
  MigrationNotFoundError,
  NodeExistsError,
  NodeNotFoundError,
  TenantExistsError,
  TenantNotFoundError,
  VersionConflictError,
} from './metadata-errors';
import {
  CONFLICT_RESOLUTIONS,
  METADATA_ID_LENGTH_MAX,
  MIGRATION_PHASES,
  MIGRATION_STATUSES,
  MIGRATION_TYPES,
  NODE_STATUSES,
  REPLICATION_FACTOR_MAX,
  REPLICATION_FACTOR_MIN,
  RING_CHANGE_CHANNEL,
  VIRTUAL_NODES_DEFAULT,
  type ConflictResolution,
  type MetadataStore,
  type Migration,
  type MigrationCheckpoint,
  type MigrationStatus,
  type MigrationUpdate,
  type NewMigration,
  type NewMigrationCheckpoint,
  type NewStorageNode,
  type NewTenant,
  type NodeChange,
  type NodeStatus,
  type RingChangeListener,
  type RingSnapshot,
  type StorageNode,
  type Tenant,
} from './metadata-store';
import {
  SQLSTATE_FOREIGN_KEY_VIOLATION,
  sqlStateOf,
  type SqlExecutor,
  type SqlParam,
  type SqlQueryable,
  type SqlRow,
} from './sql-executor';
import {
  TOKEN_MAX,
  decodeBoolean,
  decodeInteger,
  decodeOptionalBytes,
  decodeOptionalText,
  decodeOptionalUnixMs,
  decodeText,
  decodeToken,
  decodeUnixMs,
} from './sql-values';

/** Statuses after which a migration does no more work; they stamp completed_at. */
const FINAL_MIGRATION_STATUSES: readonly MigrationStatus[] = ['completed', 'failed', 'cancelled'];
const PORT_MAX = 65535;

const TENANT_COLUMNS =
  'tenant_id, replication_factor, conflict_resolution, version, created_at, updated_at';
const NODE_COLUMNS = 'node_id, host, port, status, virtual_nodes, created_at, updated_at';
const MIGRATION_COLUMNS =
  'migration_id, type, node_id, status, phase, keys_migrated, total_keys, started_at, ' +
  'updated_at, completed_at, error_message';
const CHECKPOINT_COLUMNS =
  'migration_id, range_start, range_end, last_migrated_key, keys_migrated, completed, updated_at';

export class SqlMetadataStore implements MetadataStore {
  constructor(private readonly executor: SqlExecutor) {}

  /** 'postgres' or 'pglite'. */
  get kind(): string {
    return this.executor.kind;
  }

  async createTenant(tenant: NewTenant): Promise<Tenant> {
    checkId('tenant_id', tenant.tenantId);
    checkReplicationFactor(tenant.replicationFactor);
    const conflictResolution = tenant.conflictResolution ?? 'lww';
    checkOneOf('conflict_resolution', conflictResolution, CONFLICT_RESOLUTIONS);
    const rows = await this.executor.query(
      `INSERT INTO tenants (tenant_id, replication_factor, conflict_resolution)
       VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO NOTHING RETURNING ${TENANT_COLUMNS}`,
      [tenant.tenantId, tenant.replicationFactor, conflictResolution],
    );
    if (rows.length === 0) throw new TenantExistsError(tenant.tenantId);
    return tenantFrom(rows[0]!);
  }

  async getTenant(tenantId: string): Promise<Tenant> {
    const rows = await this.executor.query(
      `SELECT ${TENANT_COLUMNS} FROM tenants WHERE tenant_id = $1`,
      [tenantId],
    );
    if (rows.length === 0) throw new TenantNotFoundError(tenantId);
    return tenantFrom(rows[0]!);
  }

  async updateReplicationFactor(
    tenantId: string,
    replicationFactor: number,
    expectedVersion: number,
  ): Promise<Tenant> {
    checkReplicationFactor(replicationFactor);
    checkCount('expected_version', expectedVersion);
    // Under READ COMMITTED a second concurrent UPDATE waits for the first, then re-checks
    // the WHERE against the committed row: the loser matches nothing.
    const rows = await this.executor.query(
      `UPDATE tenants SET replication_factor = $2, version = version + 1, updated_at = now()
       WHERE tenant_id = $1 AND version = $3 RETURNING ${TENANT_COLUMNS}`,
      [tenantId, replicationFactor, expectedVersion],
    );
    if (rows.length > 0) return tenantFrom(rows[0]!);
    const current = await this.getTenant(tenantId);
    throw new VersionConflictError(tenantId, expectedVersion, current.version);
  }

  async listTenants(): Promise<Tenant[]> {
    const rows = await this.executor.query(
      `SELECT ${TENANT_COLUMNS} FROM tenants ORDER BY tenant_id`,
    );
    return rows.map(tenantFrom);
  }

  async maxReplicationFactor(): Promise<number> {
    const rows = await this.executor.query(
      'SELECT COALESCE(MAX(replication_factor), 0) AS max_replication_factor FROM tenants',
    );
    return decodeInteger(rows[0]!.max_replication_factor, 'max_replication_factor');
  }

  async addStorageNode(node: NewStorageNode, migration?: NewMigration): Promise<NodeChange> {
    checkId('node_id', node.nodeId);
    checkId('host', node.host);
    checkRange('port', node.port, 1, PORT_MAX);
    const virtualNodes = node.virtualNodes ?? VIRTUAL_NODES_DEFAULT;
    checkRange('virtual_nodes', virtualNodes, 1, VIRTUAL_NODES_MAX);
    const status = node.status ?? 'joining';
    checkOneOf('status', status, NODE_STATUSES);
    if (migration) checkNewMigration(migration);
    return this.executor.transaction(async (transaction) => {
      const rows = await transaction.query(
        `INSERT INTO storage_nodes (node_id, host, port, status, virtual_nodes)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (node_id) DO NOTHING RETURNING ${NODE_COLUMNS}`,
        [node.nodeId, node.host, node.port, status, virtualNodes],
      );
      if (rows.length === 0) throw new NodeExistsError(node.nodeId);
      const created = migration ? await insertMigration(transaction, migration) : null;
      const ringVersion = await bumpRing(transaction);
      return { node: nodeFrom(rows[0]!), ringVersion, migration: created };
    });
  }

  async getStorageNode(nodeId: string): Promise<StorageNode> {
    const rows = await this.executor.query(
      `SELECT ${NODE_COLUMNS} FROM storage_nodes WHERE node_id = $1`,
      [nodeId],
    );
    if (rows.length === 0) throw new NodeNotFoundError(nodeId);
    return nodeFrom(rows[0]!);
  }

  async listStorageNodes(statuses?: readonly NodeStatus[]): Promise<StorageNode[]> {
    if (statuses === undefined) {
      const rows = await this.executor.query(
        `SELECT ${NODE_COLUMNS} FROM storage_nodes ORDER BY node_id`,
      );
      return rows.map(nodeFrom);
    }
    for (const status of statuses) checkOneOf('status', status, NODE_STATUSES);
    // A text array built by hand (values checked above): both drivers bind it as one param.
    const rows = await this.executor.query(
      `SELECT ${NODE_COLUMNS} FROM storage_nodes WHERE status = ANY($1::text[]) ORDER BY node_id`,
      [`{${statuses.join(',')}}`],
    );
    return rows.map(nodeFrom);
  }

  async setStorageNodeStatus(
    nodeId: string,
    status: NodeStatus,
    migration?: NewMigration,
  ): Promise<NodeChange> {
    checkOneOf('status', status, NODE_STATUSES);
    if (migration) checkNewMigration(migration);
    return this.executor.transaction(async (transaction) => {
      const rows = await transaction.query(
        `UPDATE storage_nodes SET status = $2, updated_at = now()
         WHERE node_id = $1 RETURNING ${NODE_COLUMNS}`,
        [nodeId, status],
      );
      if (rows.length === 0) throw new NodeNotFoundError(nodeId);
      const created = migration ? await insertMigration(transaction, migration) : null;
      const ringVersion = await bumpRing(transaction);
      return { node: nodeFrom(rows[0]!), ringVersion, migration: created };
    });
  }

  async removeStorageNode(nodeId: string): Promise<number> {
    return this.executor.transaction(async (transaction) => {
      const rows = await transaction.query(
        'DELETE FROM storage_nodes WHERE node_id = $1 RETURNING node_id',
        [nodeId],
      );
      if (rows.length === 0) throw new NodeNotFoundError(nodeId);
      return bumpRing(transaction);
    });
  }

  async getRingVersion(): Promise<number> {
    const rows = await this.executor.query('SELECT version FROM ring_state');
    return decodeInteger(rows[0]!.version, 'version');
  }

  async bumpRingVersion(): Promise<number> {
    return this.executor.transaction(bumpRing);
  }

  async getRing(): Promise<RingSnapshot> {
    // One statement reads one snapshot, so the nodes always match the version.
    const rows = await this.executor.query(
      `SELECT ring_state.version AS ring_version, storage_nodes.*
       FROM ring_state LEFT JOIN storage_nodes ON TRUE ORDER BY storage_nodes.node_id`,
    );
    return {
      ringVersion: decodeInteger(rows[0]!.ring_version, 'ring_version'),
      nodes: rows.filter((row) => row.node_id !== null).map(nodeFrom),
    };
  }

  async onRingChange(listener: RingChangeListener): Promise<() => Promise<void>> {
    return this.executor.listen(RING_CHANGE_CHANNEL, {
      onNotification: (payload) => callListener(listener, decodeInteger(payload, 'payload')),
      onReconnect: () => {
        this.getRingVersion().then(
          (ringVersion) => callListener(listener, ringVersion),
          // Still unreachable: the periodic ring refresh will catch up.
          () => undefined,
        );
      },
    });
  }

  async createMigration(migration: NewMigration): Promise<Migration> {
    checkNewMigration(migration);
    return insertMigration(this.executor, migration);
  }

  async getMigration(migrationId: string): Promise<Migration> {
    const rows = await this.executor.query(
      `SELECT ${MIGRATION_COLUMNS} FROM migrations WHERE migration_id = $1`,
      [migrationId],
    );
    if (rows.length === 0) throw new MigrationNotFoundError(migrationId);
    return migrationFrom(rows[0]!);
  }

  async updateMigration(migrationId: string, update: MigrationUpdate): Promise<Migration> {
    const assignments = ['updated_at = now()'];
    const params: SqlParam[] = [migrationId];
    const assign = (column: string, value: SqlParam): void => {
      params.push(value);
      assignments.push(`${column} = $${params.length}`);
    };
    if (update.status !== undefined) {
      checkOneOf('status', update.status, MIGRATION_STATUSES);
      assign('status', update.status);
      assignments.push(
        FINAL_MIGRATION_STATUSES.includes(update.status)
          ? 'completed_at = COALESCE(completed_at, now())'
          : 'completed_at = NULL',
      );
    }
    if (update.phase !== undefined) {
      checkOneOf('phase', update.phase, MIGRATION_PHASES);
      assign('phase', update.phase);
    }
    if (update.keysMigrated !== undefined) {
      checkCount('keys_migrated', update.keysMigrated);
      assign('keys_migrated', update.keysMigrated);
    }
    if (update.totalKeys !== undefined) {
      checkCount('total_keys', update.totalKeys);
      assign('total_keys', update.totalKeys);
    }
    if (update.errorMessage !== undefined) assign('error_message', update.errorMessage);
    const rows = await this.executor.query(
      `UPDATE migrations SET ${assignments.join(', ')}
       WHERE migration_id = $1 RETURNING ${MIGRATION_COLUMNS}`,
      params,
    );
    if (rows.length === 0) throw new MigrationNotFoundError(migrationId);
    return migrationFrom(rows[0]!);
  }

  async listActiveMigrations(): Promise<Migration[]> {
    const rows = await this.executor.query(
      `SELECT ${MIGRATION_COLUMNS} FROM migrations
       WHERE status IN ('pending', 'in_progress') ORDER BY started_at, migration_id`,
    );
    return rows.map(migrationFrom);
  }

  async upsertCheckpoint(checkpoint: NewMigrationCheckpoint): Promise<MigrationCheckpoint> {
    checkToken('range_start', checkpoint.rangeStart);
    checkToken('range_end', checkpoint.rangeEnd);
    checkCount('keys_migrated', checkpoint.keysMigrated);
    try {
      const rows = await this.executor.query(
        `INSERT INTO migration_checkpoints
           (migration_id, range_start, range_end, last_migrated_key, keys_migrated, completed)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (migration_id, range_start) DO UPDATE SET
           range_end = EXCLUDED.range_end, last_migrated_key = EXCLUDED.last_migrated_key,
           keys_migrated = EXCLUDED.keys_migrated, completed = EXCLUDED.completed,
           updated_at = now()
         RETURNING ${CHECKPOINT_COLUMNS}`,
        [
          checkpoint.migrationId,
          checkpoint.rangeStart.toString(),
          checkpoint.rangeEnd.toString(),
          checkpoint.lastMigratedKey,
          checkpoint.keysMigrated,
          checkpoint.completed,
        ],
      );
      return checkpointFrom(rows[0]!);
    } catch (error) {
      if (sqlStateOf(error) === SQLSTATE_FOREIGN_KEY_VIOLATION) {
        throw new MigrationNotFoundError(checkpoint.migrationId);
      }
      throw error;
    }
  }

  async listCheckpoints(migrationId: string): Promise<MigrationCheckpoint[]> {
    const rows = await this.executor.query(
      `SELECT ${CHECKPOINT_COLUMNS} FROM migration_checkpoints
       WHERE migration_id = $1 ORDER BY range_start`,
      [migrationId],
    );
    return rows.map(checkpointFrom);
  }

  async ping(): Promise<void> {
    await this.executor.query('SELECT 1');
  }

  close(): Promise<void> {
    return this.executor.close();
  }
}

/** Bumps the ring version inside `transaction`; the NOTIFY is delivered when it commits. */
async function bumpRing(transaction: SqlQueryable): Promise<number> {
  const rows = await transaction.query(
    'UPDATE ring_state SET version = version + 1, updated_at = now() RETURNING version',
  );
  const ringVersion = decodeInteger(rows[0]!.version, 'version');
  await transaction.query('SELECT pg_notify($1, $2)', [RING_CHANGE_CHANNEL, String(ringVersion)]);
  return ringVersion;
}

async function insertMigration(queryable: SqlQueryable, migration: NewMigration) {
  const rows = await queryable.query(
    `INSERT INTO migrations (migration_id, type, node_id, status, phase, total_keys)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (migration_id) DO NOTHING
     RETURNING ${MIGRATION_COLUMNS}`,
    [
      migration.migrationId,
      migration.type,
      migration.nodeId,
      migration.status ?? 'pending',
      migration.phase ?? 'dual_write',
      migration.totalKeys ?? 0,
    ],
  );
  if (rows.length === 0) throw new MigrationExistsError(migration.migrationId);
  return migrationFrom(rows[0]!);
}

/** A listener that throws is a bug; rethrown outside the driver's event handler. */
function callListener(listener: RingChangeListener, ringVersion: number): void {
  try {
    listener(ringVersion);
  } catch (error) {
    setImmediate(() => {
      throw error;
    });
  }
}

function tenantFrom(row: SqlRow): Tenant {
  return {
    tenantId: decodeText(row.tenant_id, 'tenant_id'),
    replicationFactor: decodeInteger(row.replication_factor, 'replication_factor'),
    conflictResolution: decodeText(
      row.conflict_resolution,
      'conflict_resolution',
    ) as ConflictResolution,
    version: decodeInteger(row.version, 'version'),
    createdAtUnixMs: decodeUnixMs(row.created_at, 'created_at'),
    updatedAtUnixMs: decodeUnixMs(row.updated_at, 'updated_at'),
  };
}

function nodeFrom(row: SqlRow): StorageNode {
  return {
    nodeId: decodeText(row.node_id, 'node_id'),
    host: decodeText(row.host, 'host'),
    port: decodeInteger(row.port, 'port'),
    status: decodeText(row.status, 'status') as NodeStatus,
    virtualNodes: decodeInteger(row.virtual_nodes, 'virtual_nodes'),
    createdAtUnixMs: decodeUnixMs(row.created_at, 'created_at'),
    updatedAtUnixMs: decodeUnixMs(row.updated_at, 'updated_at'),
  };
}

function migrationFrom(row: SqlRow): Migration {
  return {
    migrationId: decodeText(row.migration_id, 'migration_id'),
    type: decodeText(row.type, 'type') as Migration['type'],
    nodeId: decodeText(row.node_id, 'node_id'),
    status: decodeText(row.status, 'status') as MigrationStatus,
    phase: decodeText(row.phase, 'phase') as Migration['phase'],
    keysMigrated: decodeInteger(row.keys_migrated, 'keys_migrated'),
    totalKeys: decodeInteger(row.total_keys, 'total_keys'),
    startedAtUnixMs: decodeUnixMs(row.started_at, 'started_at'),
    updatedAtUnixMs: decodeUnixMs(row.updated_at, 'updated_at'),
    completedAtUnixMs: decodeOptionalUnixMs(row.completed_at, 'completed_at'),
    errorMessage: decodeOptionalText(row.error_message, 'error_message'),
  };
}

function checkpointFrom(row: SqlRow): MigrationCheckpoint {
  return {
    migrationId: decodeText(row.migration_id, 'migration_id'),
    rangeStart: decodeToken(row.range_start, 'range_start'),
    rangeEnd: decodeToken(row.range_end, 'range_end'),
    lastMigratedKey: decodeOptionalBytes(row.last_migrated_key, 'last_migrated_key'),
    keysMigrated: decodeInteger(row.keys_migrated, 'keys_migrated'),
    completed: decodeBoolean(row.completed, 'completed'),
    updatedAtUnixMs: decodeUnixMs(row.updated_at, 'updated_at'),
  };
}

function checkNewMigration(migration: NewMigration): void {
  checkId('migration_id', migration.migrationId);
  checkId('node_id', migration.nodeId);
  checkOneOf('type', migration.type, MIGRATION_TYPES);
  if (migration.status !== undefined) checkOneOf('status', migration.status, MIGRATION_STATUSES);
  if (migration.phase !== undefined) checkOneOf('phase', migration.phase, MIGRATION_PHASES);
  if (migration.totalKeys !== undefined) checkCount('total_keys', migration.totalKeys);
}

function checkId(field: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidMetadataError(field, value, 'must be a non-empty string');
  }
  if (value.length > METADATA_ID_LENGTH_MAX) {
    throw new InvalidMetadataError(field, value, `longer than ${METADATA_ID_LENGTH_MAX}`);
  }
}

function checkReplicationFactor(value: number): void {
  checkRange('replication_factor', value, REPLICATION_FACTOR_MIN, REPLICATION_FACTOR_MAX);
}

function checkRange(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidMetadataError(field, value, `must be an integer in ${min}..${max}`);
  }
}

function checkCount(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidMetadataError(field, value, 'must be a non-negative safe integer');
  }
}

function checkToken(field: string, value: bigint): void {
  if (typeof value !== 'bigint' || value < 0n || value > TOKEN_MAX) {
    throw new InvalidMetadataError(field, value, 'must be a uint64 ring token (bigint)');
  }
}

function checkOneOf<T extends string>(field: string, value: T, allowed: readonly T[]): void {
  if (!allowed.includes(value)) {
    throw new InvalidMetadataError(field, value, `must be one of ${allowed.join(', ')}`);
  }
}
