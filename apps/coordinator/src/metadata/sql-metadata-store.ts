// MetadataStore written once in SQL, over any SqlExecutor (PostgreSQL pool or PGlite).
// Tables and their CHECKs: migrations/*.sql. Inputs are validated first
// (metadata-input-checks.ts), so a bad value is an InvalidMetadataError naming the field, not a
// CHECK violation. Tenants, nodes and the ring are here; migrations are in sql-migrations.ts, the
// coordinator registry in sql-coordinator-registry.ts and anti-entropy in sql-anti-entropy.ts.
import { VIRTUAL_NODES_MAX } from '@pairdb/hashring';
import {
  MigrationRunningError,
  NodeExistsError,
  NodeNotFoundError,
  TenantExistsError,
  TenantNotFoundError,
  VersionConflictError,
} from './metadata-errors';
import {
  checkCount,
  checkId,
  checkOneOf,
  checkRange,
  checkReplicationFactor,
} from './metadata-input-checks';
import { NODE_COLUMNS, TENANT_COLUMNS, nodeFrom, tenantFrom } from './metadata-rows';
import {
  CONFLICT_RESOLUTIONS,
  NODE_STATUSES,
  RING_CHANGE_CHANNEL,
  VIRTUAL_NODES_DEFAULT,
  type Admitted,
  type AntiEntropyPass,
  type AntiEntropyRepair,
  type NodeLastRepair,
  type RepairOutcome,
  type RepairProgress,
  type CoordinatorClaim,
  type CoordinatorRenewal,
  type CopyCheckpoint,
  type LiveCoordinator,
  type MetadataStore,
  type Migration,
  type MigrationPhase,
  type MigrationProgress,
  type MigrationStep,
  type NewStorageNode,
  type NewTenant,
  type NodeChange,
  type NodeStatus,
  type RingChangeListener,
  type RingSnapshot,
  type StorageNode,
  type Tenant,
} from './metadata-store';
import { SqlAntiEntropy } from './sql-anti-entropy';
import { SqlAntiEntropyRepairs } from './sql-anti-entropy-repairs';
import { SqlCoordinatorRegistry } from './sql-coordinator-registry';
import { serializableTransaction } from './serializable-transaction';
import type { SqlExecutor, SqlQueryable } from './sql-executor';
import { SqlMigrations, selectUnfinished } from './sql-migrations';
import { bumpRing, readRingVersion } from './sql-ring-version';
import { decodeInteger } from './sql-values';

const PORT_MAX = 65535;

export class SqlMetadataStore implements MetadataStore {
  private readonly migrations: SqlMigrations;
  private readonly registry: SqlCoordinatorRegistry;
  private readonly antiEntropy: SqlAntiEntropy;
  private readonly repairs: SqlAntiEntropyRepairs;

  constructor(private readonly executor: SqlExecutor) {
    this.migrations = new SqlMigrations(executor);
    this.registry = new SqlCoordinatorRegistry(executor);
    this.antiEntropy = new SqlAntiEntropy(executor);
    this.repairs = new SqlAntiEntropyRepairs(executor);
  }

  /** 'postgres' or 'pglite'. */
  get kind(): string {
    return this.executor.kind;
  }

  async createTenant(tenant: NewTenant): Promise<Tenant> {
    checkId('tenant_id', tenant.tenantId);
    checkReplicationFactor(tenant.replicationFactor);
    const conflictResolution = tenant.conflictResolution ?? 'lww';
    checkOneOf('conflict_resolution', conflictResolution, CONFLICT_RESOLUTIONS);
    // A tenant's factor is part of the ring version (docs/architecture.md#membership-metadata),
    // and the bump conflicts with a concurrent node change that saw no tenant (addNodeIfNoData):
    // one of the two reruns and sees the other.
    return serializableTransaction(
      this.executor,
      async (transaction) => {
        const rows = await transaction.query(
          `INSERT INTO tenants (tenant_id, replication_factor, conflict_resolution)
           VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO NOTHING RETURNING ${TENANT_COLUMNS}`,
          [tenant.tenantId, tenant.replicationFactor, conflictResolution],
        );
        if (rows.length === 0) throw new TenantExistsError(tenant.tenantId);
        await bumpRing(transaction);
        return tenantFrom(rows[0]!);
      },
      { retryUniqueViolation: true },
    );
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

  async addStorageNode(node: NewStorageNode): Promise<NodeChange> {
    checkId('node_id', node.nodeId);
    checkId('host', node.host);
    checkRange('port', node.port, 1, PORT_MAX);
    const virtualNodes = node.virtualNodes ?? VIRTUAL_NODES_DEFAULT;
    checkRange('virtual_nodes', virtualNodes, 1, VIRTUAL_NODES_MAX);
    const status = node.status ?? 'joining';
    checkOneOf('status', status, NODE_STATUSES);
    return this.executor.transaction(async (transaction) => {
      const rows = await transaction.query(
        `INSERT INTO storage_nodes (node_id, host, port, status, virtual_nodes)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (node_id) DO NOTHING RETURNING ${NODE_COLUMNS}`,
        [node.nodeId, node.host, node.port, status, virtualNodes],
      );
      if (rows.length === 0) throw new NodeExistsError(node.nodeId);
      const ringVersion = await bumpRing(transaction);
      return { node: nodeFrom(rows[0]!), ringVersion };
    });
  }

  async addNodeIfNoData(node: NewStorageNode): Promise<NodeChange | null> {
    checkId('node_id', node.nodeId);
    checkId('host', node.host);
    checkRange('port', node.port, 1, PORT_MAX);
    const virtualNodes = node.virtualNodes ?? VIRTUAL_NODES_DEFAULT;
    checkRange('virtual_nodes', virtualNodes, 1, VIRTUAL_NODES_MAX);
    return this.changeNodesIfNoData(async (transaction) => {
      const rows = await transaction.query(
        `INSERT INTO storage_nodes (node_id, host, port, status, virtual_nodes)
         VALUES ($1, $2, $3, 'active', $4) ON CONFLICT (node_id) DO NOTHING
         RETURNING ${NODE_COLUMNS}`,
        [node.nodeId, node.host, node.port, virtualNodes],
      );
      if (rows.length === 0) throw new NodeExistsError(node.nodeId);
      return nodeFrom(rows[0]!);
    });
  }

  async removeNodeIfNoData(nodeId: string): Promise<NodeChange | null> {
    checkId('node_id', nodeId);
    return this.changeNodesIfNoData(async (transaction) => {
      const rows = await transaction.query(
        `UPDATE storage_nodes SET status = 'inactive', updated_at = now()
         WHERE node_id = $1 RETURNING ${NODE_COLUMNS}`,
        [nodeId],
      );
      if (rows.length === 0) throw new NodeNotFoundError(nodeId);
      return nodeFrom(rows[0]!);
    });
  }

  /**
   * Runs `change` and bumps the ring in one serializable transaction, only while no tenant exists
   * (else null, nothing changed) and no migration is unfinished.
   */
  private changeNodesIfNoData(
    change: (transaction: SqlQueryable) => Promise<StorageNode>,
  ): Promise<NodeChange | null> {
    return serializableTransaction(
      this.executor,
      async (transaction) => {
        const running = await selectUnfinished(transaction);
        if (running) throw new MigrationRunningError(running);
        const tenants = await transaction.query('SELECT 1 FROM tenants LIMIT 1');
        if (tenants.length > 0) return null;
        const node = await change(transaction);
        return { node, ringVersion: await bumpRing(transaction) };
      },
      { retryUniqueViolation: true },
    );
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

  async setStorageNodeStatus(nodeId: string, status: NodeStatus): Promise<NodeChange> {
    checkOneOf('status', status, NODE_STATUSES);
    return this.executor.transaction(async (transaction) => {
      const rows = await transaction.query(
        `UPDATE storage_nodes SET status = $2, updated_at = now()
         WHERE node_id = $1 RETURNING ${NODE_COLUMNS}`,
        [nodeId, status],
      );
      if (rows.length === 0) throw new NodeNotFoundError(nodeId);
      const ringVersion = await bumpRing(transaction);
      return { node: nodeFrom(rows[0]!), ringVersion };
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

  getRingVersion(): Promise<number> {
    return readRingVersion(this.executor);
  }

  async bumpRingVersion(): Promise<number> {
    return this.executor.transaction(bumpRing);
  }

  async getRing(): Promise<RingSnapshot> {
    // One snapshot for all three reads, so nodes, version and migration always match.
    return this.executor.transaction(async (transaction) => {
      await transaction.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const ringVersion = await readRingVersion(transaction);
      const nodes = await transaction.query(
        `SELECT ${NODE_COLUMNS} FROM storage_nodes ORDER BY node_id`,
      );
      const migration = await selectUnfinished(transaction);
      return { ringVersion, nodes: nodes.map(nodeFrom), migration };
    });
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

  admitNodeAddition(migrationId: string, node: NewStorageNode): Promise<Admitted> {
    return this.migrations.admitNodeAddition(migrationId, node);
  }

  admitNodeDeletion(migrationId: string, nodeId: string, force: boolean): Promise<Admitted> {
    return this.migrations.admitNodeDeletion(migrationId, nodeId, force);
  }

  admitReplicationFactorChange(
    migrationId: string,
    tenantId: string,
    replicationFactor: number,
    expectedVersion: number,
  ): Promise<Admitted> {
    return this.migrations.admitReplicationFactorChange(
      migrationId,
      tenantId,
      replicationFactor,
      expectedVersion,
    );
  }

  claimMigrationDriver(
    migrationId: string,
    instanceId: string,
    leaseMs: number,
  ): Promise<number | null> {
    return this.migrations.claimMigrationDriver(migrationId, instanceId, leaseMs);
  }

  renewMigrationDriver(migrationId: string, epoch: number, leaseMs: number): Promise<void> {
    return this.migrations.renewMigrationDriver(migrationId, epoch, leaseMs);
  }

  advanceMigration(
    migrationId: string,
    epoch: number,
    expectedPhase: MigrationPhase,
    step: MigrationStep,
  ): Promise<Admitted> {
    return this.migrations.advanceMigration(migrationId, epoch, expectedPhase, step);
  }

  recordMigrationProgress(
    migrationId: string,
    epoch: number,
    progress: MigrationProgress,
  ): Promise<void> {
    return this.migrations.recordMigrationProgress(migrationId, epoch, progress);
  }

  upsertCopyCheckpoint(epoch: number, checkpoint: CopyCheckpoint): Promise<void> {
    return this.migrations.upsertCopyCheckpoint(epoch, checkpoint);
  }

  listCopyCheckpoints(migrationId: string): Promise<CopyCheckpoint[]> {
    return this.migrations.listCopyCheckpoints(migrationId);
  }

  getMigration(migrationId: string): Promise<Migration> {
    return this.migrations.getMigration(migrationId);
  }

  listMigrations(limit: number): Promise<Migration[]> {
    return this.migrations.listMigrations(limit);
  }

  getUnfinishedMigration(): Promise<Migration | null> {
    return this.migrations.getUnfinishedMigration();
  }

  claimCoordinatorId(claim: CoordinatorClaim): Promise<{ hlcHighWater: bigint }> {
    return this.registry.claimCoordinatorId(claim);
  }

  renewCoordinatorLease(renewal: CoordinatorRenewal): Promise<void> {
    return this.registry.renewCoordinatorLease(renewal);
  }

  releaseCoordinatorId(coordinatorId: string, instanceId: string): Promise<void> {
    return this.registry.releaseCoordinatorId(coordinatorId, instanceId);
  }

  listLiveCoordinators(): Promise<LiveCoordinator[]> {
    return this.registry.listLiveCoordinators();
  }

  claimAntiEntropyLease(instanceId: string, leaseMs: number): Promise<number | null> {
    return this.antiEntropy.claimLease(instanceId, leaseMs);
  }

  renewAntiEntropyLease(instanceId: string, epoch: number, leaseMs: number): Promise<void> {
    return this.antiEntropy.renewLease(instanceId, epoch, leaseMs);
  }

  releaseAntiEntropyLease(instanceId: string, epoch: number): Promise<void> {
    return this.antiEntropy.releaseLease(instanceId, epoch);
  }

  recordAntiEntropyPass(pass: AntiEntropyPass): Promise<void> {
    return this.antiEntropy.recordPass(pass);
  }

  listAntiEntropyPasses(limit: number): Promise<AntiEntropyPass[]> {
    return this.antiEntropy.listPasses(limit);
  }

  requestRepair(repairId: string, tenantId: string | null): Promise<AntiEntropyRepair> {
    return this.repairs.requestRepair(repairId, tenantId);
  }

  hasPendingRepair(): Promise<boolean> {
    return this.repairs.hasPendingRepair();
  }

  startRepairPass(
    instanceId: string,
    epoch: number,
    scheduledRepairId: string,
  ): Promise<AntiEntropyRepair> {
    return this.repairs.startRepairPass(instanceId, epoch, scheduledRepairId);
  }

  recordRepairProgress(repairId: string, epoch: number, progress: RepairProgress): Promise<void> {
    return this.repairs.recordRepairProgress(repairId, epoch, progress);
  }

  finishRepair(
    repairId: string,
    epoch: number,
    outcome: RepairOutcome,
    progress: RepairProgress,
    message: string | null,
  ): Promise<void> {
    return this.repairs.finishRepair(repairId, epoch, outcome, progress, message);
  }

  getRepair(repairId: string): Promise<AntiEntropyRepair> {
    return this.repairs.getRepair(repairId);
  }

  getRunningRepair(): Promise<AntiEntropyRepair | null> {
    return this.repairs.getRunningRepair();
  }

  getLastCompletedRepair(): Promise<AntiEntropyRepair | null> {
    return this.repairs.getLastCompletedRepair();
  }

  listNodeLastRepairs(): Promise<NodeLastRepair[]> {
    return this.repairs.listNodeLastRepairs();
  }

  async ping(): Promise<void> {
    await this.executor.query('SELECT 1');
  }

  close(): Promise<void> {
    return this.executor.close();
  }
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
