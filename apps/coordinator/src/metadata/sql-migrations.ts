// Migrations in SQL: admission and driving (docs/architecture.md#membership-metadata).
//
// Admission runs in one SERIALIZABLE transaction: it reads that no migration is unfinished,
// checks the node count against the replication factors, writes the node or tenant change and
// the migration, and bumps the ring version. Two admissions racing on two connections cannot
// both commit (PostgreSQL aborts one, which reruns and finds the other's migration); the unique
// index migrations_one_unfinished is the schema's own guard of the same rule.
//
// Driving is fenced by the driver epoch: a claim increments it, and every later update is
// conditional on it in the statement itself (an UPDATE's or a FOR SHARE's WHERE is re-checked
// against the newest row version when it waited for a concurrent takeover), so an old driver's
// write either lands before the takeover or not at all.
import { VIRTUAL_NODES_MAX } from '@pairdb/hashring';
import {
  InvalidMetadataError,
  MigrationExistsError,
  MigrationNotFoundError,
  MigrationRunningError,
  NodeCountBelowReplicationFactorError,
  NodeExistsError,
  NodeNotFoundError,
  NodeStateError,
  StaleDriverError,
  TenantNotFoundError,
  TooFewNodesForReplicationFactorError,
  VersionConflictError,
} from './metadata-errors';
import {
  checkCount,
  checkId,
  checkLeaseMs,
  checkOneOf,
  checkRange,
  checkReplicationFactor,
  checkInstanceId,
  checkToken,
} from './metadata-input-checks';
import {
  COPY_CHECKPOINT_COLUMNS,
  MIGRATION_COLUMNS,
  copyCheckpointFrom,
  migrationFrom,
  tenantFrom,
  TENANT_COLUMNS,
} from './metadata-rows';
import {
  MIGRATION_OUTCOMES,
  MIGRATION_PHASES,
  MIGRATIONS_LISTED_MAX,
  ROLL_FORWARD_PHASES,
  VIRTUAL_NODES_DEFAULT,
  type Admitted,
  type CopyCheckpoint,
  type Migration,
  type MigrationOutcome,
  type MigrationPhase,
  type MigrationProgress,
  type MigrationStep,
  type MigrationType,
  type NewStorageNode,
  type NodeStatus,
} from './metadata-store';
import { serializableTransaction } from './serializable-transaction';
import type { SqlExecutor, SqlParam, SqlQueryable } from './sql-executor';
import { bumpRing } from './sql-ring-version';
import { decodeInteger } from './sql-values';

const PORT_MAX = 65535;
/** `now() + $n` milliseconds, for leases measured by the database's clock. */
const leaseEnd = (param: string): string =>
  `now() + ${param}::double precision * interval '1 millisecond'`;

/** What an admission records beside the common fields. */
interface MigrationSubject {
  type: MigrationType;
  nodeId: string | null;
  tenantId: string | null;
  fromReplicationFactor: number | null;
  toReplicationFactor: number | null;
  force: boolean;
}

/** The node status a finished node migration leaves behind, by outcome. */
const NODE_STATUS_AFTER: Record<
  'node_addition' | 'node_deletion',
  Record<MigrationOutcome, NodeStatus>
> = {
  node_addition: { completed: 'active', failed: 'inactive', rolled_back: 'inactive' },
  node_deletion: { completed: 'inactive', failed: 'active', rolled_back: 'active' },
};

export class SqlMigrations {
  constructor(private readonly executor: SqlExecutor) {}

  async admitNodeAddition(migrationId: string, node: NewStorageNode): Promise<Admitted> {
    checkId('migration_id', migrationId);
    checkId('node_id', node.nodeId);
    checkId('host', node.host);
    checkRange('port', node.port, 1, PORT_MAX);
    const virtualNodes = node.virtualNodes ?? VIRTUAL_NODES_DEFAULT;
    checkRange('virtual_nodes', virtualNodes, 1, VIRTUAL_NODES_MAX);
    if (node.status !== undefined && node.status !== 'joining') {
      throw new InvalidMetadataError('status', node.status, 'an added node starts joining');
    }
    return this.admit(migrationId, async (transaction) => {
      const rows = await transaction.query(
        `INSERT INTO storage_nodes (node_id, host, port, status, virtual_nodes)
         VALUES ($1, $2, $3, 'joining', $4) ON CONFLICT (node_id) DO NOTHING RETURNING node_id`,
        [node.nodeId, node.host, node.port, virtualNodes],
      );
      if (rows.length === 0) throw new NodeExistsError(node.nodeId);
      return nodeSubject('node_addition', node.nodeId, false);
    });
  }

  async admitNodeDeletion(migrationId: string, nodeId: string, force: boolean): Promise<Admitted> {
    checkId('migration_id', migrationId);
    checkId('node_id', nodeId);
    if (typeof force !== 'boolean')
      throw new InvalidMetadataError('force', force, 'must be a boolean');
    return this.admit(migrationId, async (transaction) => {
      const nodes = await transaction.query('SELECT status FROM storage_nodes WHERE node_id = $1', [
        nodeId,
      ]);
      if (nodes.length === 0) throw new NodeNotFoundError(nodeId);
      const status = nodes[0]!.status as NodeStatus;
      if (status !== 'active') throw new NodeStateError(nodeId, status);
      const remaining = (await countActiveNodes(transaction)) - 1;
      const largest = await transaction.query(
        `SELECT tenant_id, replication_factor FROM tenants
         ORDER BY replication_factor DESC, tenant_id LIMIT 1`,
      );
      if (largest.length > 0) {
        const tenant = largest[0]!;
        const factor = decodeInteger(tenant.replication_factor, 'replication_factor');
        if (remaining < factor) {
          throw new NodeCountBelowReplicationFactorError(
            nodeId,
            remaining,
            factor,
            String(tenant.tenant_id),
          );
        }
      }
      await setNodeStatus(transaction, nodeId, 'draining');
      return nodeSubject('node_deletion', nodeId, force);
    });
  }

  async admitReplicationFactorChange(
    migrationId: string,
    tenantId: string,
    replicationFactor: number,
    expectedVersion: number,
  ): Promise<Admitted> {
    checkId('migration_id', migrationId);
    checkId('tenant_id', tenantId);
    checkReplicationFactor(replicationFactor);
    checkCount('expected_version', expectedVersion);
    return this.admit(migrationId, async (transaction) => {
      const rows = await transaction.query(
        `SELECT ${TENANT_COLUMNS} FROM tenants WHERE tenant_id = $1`,
        [tenantId],
      );
      if (rows.length === 0) throw new TenantNotFoundError(tenantId);
      const tenant = tenantFrom(rows[0]!);
      if (expectedVersion !== 0 && expectedVersion !== tenant.version) {
        throw new VersionConflictError(tenantId, expectedVersion, tenant.version);
      }
      if (tenant.replicationFactor === replicationFactor) {
        throw new InvalidMetadataError(
          'replication_factor',
          replicationFactor,
          `tenant ${JSON.stringify(tenantId)} already has it`,
        );
      }
      const active = await countActiveNodes(transaction);
      if (active < replicationFactor) {
        throw new TooFewNodesForReplicationFactorError(tenantId, replicationFactor, active);
      }
      // The factor itself changes only when the migration completes; the version changes now,
      // so an update that read the tenant before this admission fails.
      await transaction.query(
        'UPDATE tenants SET version = version + 1, updated_at = now() WHERE tenant_id = $1',
        [tenantId],
      );
      return {
        type: 'replication_factor_change',
        nodeId: null,
        tenantId,
        fromReplicationFactor: tenant.replicationFactor,
        toReplicationFactor: replicationFactor,
        force: false,
      };
    });
  }

  async claimMigrationDriver(
    migrationId: string,
    instanceId: string,
    leaseMs: number,
  ): Promise<number | null> {
    checkId('migration_id', migrationId);
    checkInstanceId(instanceId);
    checkLeaseMs(leaseMs);
    const rows = await this.executor.query(
      `UPDATE migrations SET driver_instance_id = $2, driver_epoch = driver_epoch + 1,
         driver_lease_expires_at = ${leaseEnd('$3')}, updated_at = now()
       WHERE migration_id = $1 AND status = 'in_progress'
         AND (driver_lease_expires_at IS NULL OR driver_lease_expires_at <= now()
              OR driver_instance_id = $2)
       RETURNING driver_epoch`,
      [migrationId, instanceId, leaseMs],
    );
    if (rows.length > 0) return decodeInteger(rows[0]!.driver_epoch, 'driver_epoch');
    const current = await this.getMigration(migrationId);
    if (current.status !== 'in_progress') {
      throw new StaleDriverError(migrationId, 'status in_progress', `status ${current.status}`);
    }
    return null;
  }

  async renewMigrationDriver(migrationId: string, epoch: number, leaseMs: number): Promise<void> {
    checkId('migration_id', migrationId);
    checkCount('epoch', epoch);
    checkLeaseMs(leaseMs);
    const rows = await this.executor.query(
      `UPDATE migrations SET driver_lease_expires_at = ${leaseEnd('$3')}, updated_at = now()
       WHERE migration_id = $1 AND driver_epoch = $2 AND status = 'in_progress'
       RETURNING migration_id`,
      [migrationId, epoch, leaseMs],
    );
    if (rows.length === 0) throw await this.staleDriver(migrationId, epoch);
  }

  async advanceMigration(
    migrationId: string,
    epoch: number,
    expectedPhase: MigrationPhase,
    step: MigrationStep,
  ): Promise<Admitted> {
    checkId('migration_id', migrationId);
    checkCount('epoch', epoch);
    checkOneOf('phase', expectedPhase, MIGRATION_PHASES);
    checkStep(migrationId, expectedPhase, step);
    return serializableTransaction(this.executor, async (transaction) => {
      const rows = await transaction.query(
        `SELECT ${MIGRATION_COLUMNS} FROM migrations WHERE migration_id = $1 FOR UPDATE`,
        [migrationId],
      );
      if (rows.length === 0) throw new MigrationNotFoundError(migrationId);
      const current = migrationFrom(rows[0]!);
      if (
        current.driverEpoch !== epoch ||
        current.phase !== expectedPhase ||
        current.status !== 'in_progress'
      ) {
        throw new StaleDriverError(
          migrationId,
          driverState(epoch, expectedPhase, 'in_progress'),
          driverState(current.driverEpoch, current.phase, current.status),
        );
      }
      const ringVersion = await bumpRing(transaction);
      const migration = await updateStep(transaction, migrationId, ringVersion, step);
      if (step.status !== undefined) await applyOutcome(transaction, current, step.status);
      return { migration, ringVersion };
    });
  }

  async recordMigrationProgress(
    migrationId: string,
    epoch: number,
    progress: MigrationProgress,
  ): Promise<void> {
    checkId('migration_id', migrationId);
    checkCount('epoch', epoch);
    checkCount('keys_migrated', progress.keysMigrated);
    checkCount('bytes_migrated', progress.bytesMigrated);
    checkCount('ranges_done', progress.rangesDone);
    checkCount('ranges_total', progress.rangesTotal);
    checkCount('total_keys', progress.totalKeys);
    const rows = await this.executor.query(
      `UPDATE migrations SET keys_migrated = $3, bytes_migrated = $4, ranges_done = $5,
         ranges_total = $6, total_keys = $7, updated_at = now()
       WHERE migration_id = $1 AND driver_epoch = $2 AND status = 'in_progress'
       RETURNING migration_id`,
      [
        migrationId,
        epoch,
        progress.keysMigrated,
        progress.bytesMigrated,
        progress.rangesDone,
        progress.rangesTotal,
        progress.totalKeys,
      ],
    );
    if (rows.length === 0) throw await this.staleDriver(migrationId, epoch);
  }

  async upsertCopyCheckpoint(epoch: number, checkpoint: CopyCheckpoint): Promise<void> {
    checkCount('epoch', epoch);
    checkId('migration_id', checkpoint.migrationId);
    checkId('tenant_id', checkpoint.tenantId);
    checkToken('range_start', checkpoint.rangeStart);
    checkToken('range_end', checkpoint.rangeEnd);
    checkId('source_node_id', checkpoint.sourceNodeId);
    checkId('destination_node_id', checkpoint.destinationNodeId);
    checkCount('keys_copied', checkpoint.keysCopied);
    checkCount('bytes_copied', checkpoint.bytesCopied);
    if (checkpoint.lastKey !== null && !Buffer.isBuffer(checkpoint.lastKey)) {
      throw new InvalidMetadataError('last_key', checkpoint.lastKey, 'must be a Buffer or null');
    }
    // FOR SHARE waits for a concurrent claim and re-checks the epoch against its result.
    const rows = await this.executor.query(
      `INSERT INTO migration_copy_checkpoints (${COPY_CHECKPOINT_COLUMNS})
       SELECT migration_id, $3::varchar, $4::numeric, $5::numeric, $6::varchar, $7::varchar,
              $8::bytea, $9::bigint, $10::bigint, $11::boolean
       FROM migrations
       WHERE migration_id = $1 AND driver_epoch = $2 AND status = 'in_progress'
       FOR SHARE
       ON CONFLICT (migration_id, tenant_id, range_start, source_node_id, destination_node_id)
       DO UPDATE SET range_end = EXCLUDED.range_end, last_key = EXCLUDED.last_key,
         keys_copied = EXCLUDED.keys_copied, bytes_copied = EXCLUDED.bytes_copied,
         completed = EXCLUDED.completed, updated_at = now()
       RETURNING migration_id`,
      [
        checkpoint.migrationId,
        epoch,
        checkpoint.tenantId,
        checkpoint.rangeStart.toString(),
        checkpoint.rangeEnd.toString(),
        checkpoint.sourceNodeId,
        checkpoint.destinationNodeId,
        checkpoint.lastKey,
        checkpoint.keysCopied,
        checkpoint.bytesCopied,
        checkpoint.completed,
      ],
    );
    if (rows.length === 0) throw await this.staleDriver(checkpoint.migrationId, epoch);
  }

  async listCopyCheckpoints(migrationId: string): Promise<CopyCheckpoint[]> {
    const rows = await this.executor.query(
      `SELECT ${COPY_CHECKPOINT_COLUMNS} FROM migration_copy_checkpoints WHERE migration_id = $1
       ORDER BY tenant_id, range_start, source_node_id, destination_node_id`,
      [migrationId],
    );
    return rows.map(copyCheckpointFrom);
  }

  async getMigration(migrationId: string): Promise<Migration> {
    const rows = await this.executor.query(
      `SELECT ${MIGRATION_COLUMNS} FROM migrations WHERE migration_id = $1`,
      [migrationId],
    );
    if (rows.length === 0) throw new MigrationNotFoundError(migrationId);
    return migrationFrom(rows[0]!);
  }

  async listMigrations(limit: number): Promise<Migration[]> {
    checkRange('limit', limit, 1, MIGRATIONS_LISTED_MAX);
    const rows = await this.executor.query(
      `SELECT ${MIGRATION_COLUMNS} FROM migrations
       ORDER BY started_at DESC, migration_id DESC LIMIT $1`,
      [limit],
    );
    return rows.map(migrationFrom);
  }

  getUnfinishedMigration(): Promise<Migration | null> {
    return selectUnfinished(this.executor);
  }

  /** The common frame of every admission; `change` checks and writes the node or tenant. */
  private admit(
    migrationId: string,
    change: (transaction: SqlQueryable) => Promise<MigrationSubject>,
  ): Promise<Admitted> {
    return serializableTransaction(
      this.executor,
      async (transaction) => {
        const running = await selectUnfinished(transaction);
        if (running) throw new MigrationRunningError(running);
        const subject = await change(transaction);
        const ringVersion = await bumpRing(transaction);
        const migration = await insertMigration(transaction, migrationId, subject, ringVersion);
        return { migration, ringVersion };
      },
      // A concurrent admission's row in migrations_one_unfinished: rerun and refuse properly.
      { retryUniqueViolation: true },
    );
  }

  /** Why a conditional driver update matched nothing. */
  private async staleDriver(migrationId: string, epoch: number): Promise<Error> {
    const current = await this.getMigration(migrationId);
    return new StaleDriverError(
      migrationId,
      `epoch ${epoch}, status in_progress`,
      `epoch ${current.driverEpoch}, status ${current.status}`,
    );
  }
}

/** The unfinished migration (at most one exists), or null. */
export async function selectUnfinished(queryable: SqlQueryable): Promise<Migration | null> {
  const rows = await queryable.query(
    `SELECT ${MIGRATION_COLUMNS} FROM migrations
     WHERE status IN ('pending', 'in_progress') ORDER BY started_at LIMIT 1`,
  );
  return rows.length === 0 ? null : migrationFrom(rows[0]!);
}

function nodeSubject(type: MigrationType, nodeId: string, force: boolean): MigrationSubject {
  return {
    type,
    nodeId,
    tenantId: null,
    fromReplicationFactor: null,
    toReplicationFactor: null,
    force,
  };
}

async function countActiveNodes(transaction: SqlQueryable): Promise<number> {
  const rows = await transaction.query(
    "SELECT count(*) AS active FROM storage_nodes WHERE status = 'active'",
  );
  return decodeInteger(rows[0]!.active, 'active');
}

async function setNodeStatus(
  transaction: SqlQueryable,
  nodeId: string,
  status: NodeStatus,
): Promise<void> {
  await transaction.query(
    'UPDATE storage_nodes SET status = $2, updated_at = now() WHERE node_id = $1',
    [nodeId, status],
  );
}

async function insertMigration(
  transaction: SqlQueryable,
  migrationId: string,
  subject: MigrationSubject,
  ringVersion: number,
): Promise<Migration> {
  const rows = await transaction.query(
    `INSERT INTO migrations (migration_id, type, node_id, tenant_id, from_replication_factor,
       to_replication_factor, force, status, phase, ring_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'in_progress', 'dual_write', $8)
     ON CONFLICT (migration_id) DO NOTHING RETURNING ${MIGRATION_COLUMNS}`,
    [
      migrationId,
      subject.type,
      subject.nodeId,
      subject.tenantId,
      subject.fromReplicationFactor,
      subject.toReplicationFactor,
      subject.force,
      ringVersion,
    ],
  );
  if (rows.length === 0) throw new MigrationExistsError(migrationId);
  return migrationFrom(rows[0]!);
}

function checkStep(migrationId: string, expectedPhase: MigrationPhase, step: MigrationStep): void {
  if (step.phase !== undefined) checkOneOf('phase', step.phase, MIGRATION_PHASES);
  if (step.status !== undefined) checkOneOf('status', step.status, MIGRATION_OUTCOMES);
  if (step.lostRanges !== undefined && typeof step.lostRanges !== 'string') {
    throw new InvalidMetadataError('lost_ranges', step.lostRanges, 'must be a string');
  }
  checkRollbackStep(migrationId, expectedPhase, step);
}

/**
 * A rollback is two steps (docs/architecture.md#membership-and-migrations): into rolling_back
 * before cutover, then, once the destinations dropped what they received, rolled_back.
 */
function checkRollbackStep(
  migrationId: string,
  expectedPhase: MigrationPhase,
  step: MigrationStep,
): void {
  const refuse = (field: string, value: unknown, reason: string): never => {
    throw new InvalidMetadataError(
      field,
      value,
      `migration ${JSON.stringify(migrationId)} ${reason}`,
    );
  };
  const pastCutover = ROLL_FORWARD_PHASES.includes(expectedPhase);
  const onlyForward = `is past cutover (phase ${expectedPhase}) and only rolls forward`;
  if (expectedPhase === 'rolling_back') {
    const next = 'is rolling back: its only next step is status rolled_back';
    if (step.status !== 'rolled_back') refuse('status', step.status ?? null, next);
    if (step.phase !== undefined) refuse('phase', step.phase, next);
    return;
  }
  if (step.status === 'rolled_back') {
    refuse(
      'status',
      step.status,
      pastCutover
        ? onlyForward
        : `is in phase ${expectedPhase}: it ends rolled_back only from rolling_back`,
    );
  }
  if (step.phase === 'rolling_back') {
    if (pastCutover) refuse('phase', step.phase, onlyForward);
    if (step.status !== undefined) {
      refuse('status', step.status, 'enters rolling_back in_progress: its drops come first');
    }
  }
}

async function updateStep(
  transaction: SqlQueryable,
  migrationId: string,
  ringVersion: number,
  step: MigrationStep,
): Promise<Migration> {
  const params: SqlParam[] = [migrationId, ringVersion];
  const assignments = ['ring_version = $2', 'updated_at = now()'];
  const assign = (column: string, value: SqlParam): void => {
    params.push(value);
    assignments.push(`${column} = $${params.length}`);
  };
  if (step.phase !== undefined) assign('phase', step.phase);
  if (step.status !== undefined) {
    assign('status', step.status);
    assignments.push('completed_at = now()');
  }
  if (step.errorMessage !== undefined) assign('error_message', step.errorMessage);
  if (step.lostRanges !== undefined) assign('lost_ranges', step.lostRanges);
  const rows = await transaction.query(
    `UPDATE migrations SET ${assignments.join(', ')} WHERE migration_id = $1
     RETURNING ${MIGRATION_COLUMNS}`,
    params,
  );
  return migrationFrom(rows[0]!);
}

/** What a final status does to the migration's node or tenant, in the same transaction. */
async function applyOutcome(
  transaction: SqlQueryable,
  migration: Migration,
  outcome: MigrationOutcome,
): Promise<void> {
  if (migration.type === 'replication_factor_change') {
    if (outcome !== 'completed') return;
    await transaction.query(
      `UPDATE tenants SET replication_factor = $2, version = version + 1, updated_at = now()
       WHERE tenant_id = $1`,
      [migration.tenantId, migration.toReplicationFactor],
    );
    return;
  }
  await setNodeStatus(transaction, migration.nodeId, NODE_STATUS_AFTER[migration.type][outcome]);
}

function driverState(epoch: number, phase: MigrationPhase, status: string): string {
  return `epoch ${epoch}, phase ${phase}, status ${status}`;
}
