// Repairs in SQL (docs/architecture.md#anti-entropy): anti-entropy passes an operator asks for on
// any coordinator and the runner holding the lease takes, and the progress of every pass, so that
// any coordinator can answer how the running pass is doing.
//
// Laws:
// - At most one request per tenant (and one for every tenant) is pending; asking again answers it.
// - At most one pass is running (a unique index); a runner starting a pass first ends, as
//   incomplete, any pass an earlier runner left running.
// - Every runner write is conditional on its epoch still being the lease's, in the statement
//   itself, so a deposed runner's progress never overwrites its successor's.
import {
  InvalidMetadataError,
  RepairNotFoundError,
  StaleAntiEntropyRunnerError,
} from './metadata-errors';
import { checkCount, checkId, checkInstanceId, checkRange } from './metadata-input-checks';
import {
  REPAIR_STATUSES,
  REPAIRS_KEPT,
  type AntiEntropyRepair,
  type NodeLastRepair,
  type RepairOutcome,
  type RepairProgress,
  type RepairStatus,
} from './metadata-store';
import { serializableTransaction } from './serializable-transaction';
import type { SqlExecutor, SqlQueryable, SqlRow } from './sql-executor';
import {
  decodeBoolean,
  decodeInteger,
  decodeOptionalInteger,
  decodeOptionalText,
  decodeOptionalUnixMs,
  decodeText,
  decodeUnixMs,
} from './sql-values';

const REPAIR_COLUMNS = `repair_id, tenant_id, requested, status, runner_instance_id, epoch,
  ranges_done, ranges_total, keys_repaired, buckets_differing, requested_at, started_at,
  completed_at, updated_at, message`;

/** Attempts of requestRepair when its pending request started between insert and read. */
const REQUEST_ATTEMPTS_MAX = 3;

const ABANDONED_MESSAGE = 'its runner stopped or lost the anti-entropy lease before it ended';

export class SqlAntiEntropyRepairs {
  constructor(private readonly executor: SqlExecutor) {}

  async requestRepair(repairId: string, tenantId: string | null): Promise<AntiEntropyRepair> {
    checkId('repair_id', repairId);
    if (tenantId !== null) checkId('tenant_id', tenantId);
    for (let attempt = 1; attempt <= REQUEST_ATTEMPTS_MAX; attempt++) {
      const inserted = await this.executor.query(
        `INSERT INTO anti_entropy_repairs (repair_id, tenant_id, requested, status, requested_at)
         VALUES ($1, $2, true, 'pending', now())
         ON CONFLICT DO NOTHING RETURNING ${REPAIR_COLUMNS}`,
        [repairId, tenantId],
      );
      if (inserted.length > 0) return repairFrom(inserted[0]!);
      const pending = await this.executor.query(
        `SELECT ${REPAIR_COLUMNS} FROM anti_entropy_repairs
         WHERE status = 'pending' AND COALESCE(tenant_id, '') = COALESCE($1, '')`,
        [tenantId],
      );
      if (pending.length > 0) return repairFrom(pending[0]!);
    }
    throw new InvalidMetadataError('repair_id', repairId, 'is already taken');
  }

  async hasPendingRepair(): Promise<boolean> {
    const rows = await this.executor.query(
      `SELECT 1 AS pending FROM anti_entropy_repairs WHERE status = 'pending' LIMIT 1`,
    );
    return rows.length > 0;
  }

  async startRepairPass(
    instanceId: string,
    epoch: number,
    scheduledRepairId: string,
  ): Promise<AntiEntropyRepair> {
    checkInstanceId(instanceId);
    checkRange('epoch', epoch, 1, Number.MAX_SAFE_INTEGER);
    checkId('repair_id', scheduledRepairId);
    return serializableTransaction(this.executor, async (transaction) => {
      const held = await transaction.query(
        `SELECT epoch FROM anti_entropy_lease WHERE lease_id = 1 AND runner_instance_id = $1
           AND epoch = $2 AND lease_expires_at > now() FOR SHARE`,
        [instanceId, epoch],
      );
      if (held.length === 0) throw await stale(transaction, instanceId, epoch);
      await transaction.query(
        `UPDATE anti_entropy_repairs SET status = 'incomplete', completed_at = now(),
           updated_at = now(), message = $1
         WHERE status = 'running'`,
        [ABANDONED_MESSAGE],
      );
      const taken = await transaction.query(
        `UPDATE anti_entropy_repairs SET status = 'running', runner_instance_id = $1, epoch = $2,
           started_at = now(), updated_at = now()
         WHERE repair_id = (SELECT repair_id FROM anti_entropy_repairs WHERE status = 'pending'
                            ORDER BY requested_at, repair_id LIMIT 1)
         RETURNING ${REPAIR_COLUMNS}`,
        [instanceId, epoch],
      );
      const started =
        taken.length > 0
          ? taken
          : await transaction.query(
              `INSERT INTO anti_entropy_repairs (repair_id, tenant_id, requested, status,
                 runner_instance_id, epoch, started_at)
               VALUES ($1, NULL, false, 'running', $2, $3, now())
               RETURNING ${REPAIR_COLUMNS}`,
              [scheduledRepairId, instanceId, epoch],
            );
      await transaction.query(
        `DELETE FROM anti_entropy_repairs
         WHERE status IN ('completed', 'incomplete')
           AND repair_id NOT IN (SELECT repair_id FROM anti_entropy_repairs
                                 WHERE status IN ('completed', 'incomplete')
                                 ORDER BY updated_at DESC, repair_id DESC LIMIT $1)
           AND repair_id <> COALESCE((SELECT repair_id FROM anti_entropy_repairs
                                      WHERE status = 'completed'
                                      ORDER BY completed_at DESC, repair_id DESC LIMIT 1), '')`,
        [REPAIRS_KEPT],
      );
      return repairFrom(started[0]!);
    });
  }

  async recordRepairProgress(
    repairId: string,
    epoch: number,
    progress: RepairProgress,
  ): Promise<void> {
    await this.update(repairId, epoch, progress, 'running', null);
  }

  async finishRepair(
    repairId: string,
    epoch: number,
    outcome: RepairOutcome,
    progress: RepairProgress,
    message: string | null,
  ): Promise<void> {
    if (outcome !== 'completed' && outcome !== 'incomplete') {
      throw new InvalidMetadataError('outcome', outcome, 'must be completed or incomplete');
    }
    await this.update(repairId, epoch, progress, outcome, message);
  }

  async getRepair(repairId: string): Promise<AntiEntropyRepair> {
    checkId('repair_id', repairId);
    const rows = await this.executor.query(
      `SELECT ${REPAIR_COLUMNS} FROM anti_entropy_repairs WHERE repair_id = $1`,
      [repairId],
    );
    if (rows.length === 0) throw new RepairNotFoundError(repairId);
    return repairFrom(rows[0]!);
  }

  async getRunningRepair(): Promise<AntiEntropyRepair | null> {
    const rows = await this.executor.query(
      `SELECT ${REPAIR_COLUMNS} FROM anti_entropy_repairs WHERE status = 'running'`,
    );
    return rows.length > 0 ? repairFrom(rows[0]!) : null;
  }

  async getLastCompletedRepair(): Promise<AntiEntropyRepair | null> {
    const rows = await this.executor.query(
      `SELECT ${REPAIR_COLUMNS} FROM anti_entropy_repairs WHERE status = 'completed'
       ORDER BY completed_at DESC, repair_id DESC LIMIT 1`,
    );
    return rows.length > 0 ? repairFrom(rows[0]!) : null;
  }

  async listNodeLastRepairs(): Promise<NodeLastRepair[]> {
    const rows = await this.executor.query(
      `SELECT DISTINCT ON (n.node_id) n.node_id, p.completed_at, n.keys_repaired
       FROM anti_entropy_pass_nodes n JOIN anti_entropy_passes p ON p.pass_id = n.pass_id
       ORDER BY n.node_id, p.completed_at DESC, p.pass_id DESC`,
    );
    return rows.map((row) => ({
      nodeId: decodeText(row.node_id, 'node_id'),
      completedAtUnixMs: decodeUnixMs(row.completed_at, 'completed_at'),
      keysRepaired: decodeInteger(row.keys_repaired, 'keys_repaired'),
    }));
  }

  private async update(
    repairId: string,
    epoch: number,
    progress: RepairProgress,
    status: RepairStatus,
    message: string | null,
  ): Promise<void> {
    checkId('repair_id', repairId);
    checkRange('epoch', epoch, 1, Number.MAX_SAFE_INTEGER);
    checkProgress(progress);
    const rows = await this.executor.query(
      `UPDATE anti_entropy_repairs SET status = $3::varchar, ranges_done = $4, ranges_total = $5,
         keys_repaired = $6, buckets_differing = $7, message = $8, updated_at = now(),
         completed_at = CASE WHEN $3::varchar = 'running' THEN NULL ELSE now() END
       WHERE repair_id = $1 AND epoch = $2 AND status = 'running'
         AND EXISTS (SELECT 1 FROM anti_entropy_lease WHERE lease_id = 1 AND epoch = $2)
       RETURNING repair_id`,
      [
        repairId,
        epoch,
        status,
        progress.rangesDone,
        progress.rangesTotal,
        progress.keysRepaired,
        progress.bucketsDiffering,
        message,
      ],
    );
    if (rows.length === 0) {
      const lease = await this.executor.query(
        'SELECT runner_instance_id FROM anti_entropy_lease WHERE lease_id = 1',
      );
      const instanceId = decodeOptionalText(lease[0]?.runner_instance_id, 'runner_instance_id');
      throw await stale(this.executor, instanceId ?? '', epoch);
    }
  }
}

async function stale(
  queryable: SqlQueryable,
  instanceId: string,
  epoch: number,
): Promise<StaleAntiEntropyRunnerError> {
  const rows = await queryable.query('SELECT epoch FROM anti_entropy_lease WHERE lease_id = 1');
  const current = rows.length > 0 ? decodeInteger(rows[0]!.epoch, 'epoch') : 0;
  return new StaleAntiEntropyRunnerError(instanceId, epoch, current);
}

function checkProgress(progress: RepairProgress): void {
  checkCount('ranges_done', progress.rangesDone);
  checkCount('ranges_total', progress.rangesTotal);
  checkCount('keys_repaired', progress.keysRepaired);
  checkCount('buckets_differing', progress.bucketsDiffering);
  if (progress.rangesDone > progress.rangesTotal) {
    throw new InvalidMetadataError(
      'ranges_done',
      progress.rangesDone,
      `is above ranges_total ${progress.rangesTotal}`,
    );
  }
}

function repairFrom(row: SqlRow): AntiEntropyRepair {
  const status = decodeText(row.status, 'status') as RepairStatus;
  if (!REPAIR_STATUSES.includes(status)) throw new Error(`column status: unknown ${status}`);
  return {
    repairId: decodeText(row.repair_id, 'repair_id'),
    tenantId: decodeOptionalText(row.tenant_id, 'tenant_id'),
    requested: decodeBoolean(row.requested, 'requested'),
    status,
    runnerInstanceId: decodeOptionalText(row.runner_instance_id, 'runner_instance_id'),
    epoch: decodeOptionalInteger(row.epoch, 'epoch'),
    rangesDone: decodeInteger(row.ranges_done, 'ranges_done'),
    rangesTotal: decodeInteger(row.ranges_total, 'ranges_total'),
    keysRepaired: decodeInteger(row.keys_repaired, 'keys_repaired'),
    bucketsDiffering: decodeInteger(row.buckets_differing, 'buckets_differing'),
    requestedAtUnixMs: decodeOptionalUnixMs(row.requested_at, 'requested_at'),
    startedAtUnixMs: decodeOptionalUnixMs(row.started_at, 'started_at'),
    completedAtUnixMs: decodeOptionalUnixMs(row.completed_at, 'completed_at'),
    updatedAtUnixMs: decodeUnixMs(row.updated_at, 'updated_at'),
    message: decodeOptionalText(row.message, 'message'),
  };
}
