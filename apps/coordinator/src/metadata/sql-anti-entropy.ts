// Anti-entropy in SQL (docs/architecture.md#anti-entropy): the one-row lease that makes one
// coordinator the cluster's runner, and the record of completed passes.
//
// The lease works like a migration driver's: held while lease_expires_at (database clock) is in
// the future; every claim increments the epoch; renewal and a pass record are conditional on the
// epoch in the statement itself, so a deposed runner's record either lands before the takeover
// or not at all.
import { InvalidMetadataError, StaleAntiEntropyRunnerError } from './metadata-errors';
import {
  checkCount,
  checkId,
  checkInstanceId,
  checkLeaseMs,
  checkRange,
} from './metadata-input-checks';
import {
  ANTI_ENTROPY_PASSES_LISTED_MAX,
  type AntiEntropyPass,
  type AntiEntropyPassNode,
} from './metadata-store';
import { serializableTransaction } from './serializable-transaction';
import type { SqlExecutor, SqlQueryable, SqlRow } from './sql-executor';
import { decodeInteger, decodeOptionalText, decodeText, decodeUnixMs } from './sql-values';

const leaseEnd = (param: string): string =>
  `now() + ${param}::double precision * interval '1 millisecond'`;

export class SqlAntiEntropy {
  constructor(private readonly executor: SqlExecutor) {}

  async claimLease(instanceId: string, leaseMs: number): Promise<number | null> {
    checkInstanceId(instanceId);
    checkLeaseMs(leaseMs);
    const rows = await this.executor.query(
      `UPDATE anti_entropy_lease SET runner_instance_id = $1, epoch = epoch + 1,
         lease_expires_at = ${leaseEnd('$2')}, updated_at = now()
       WHERE lease_id = 1
         AND (lease_expires_at IS NULL OR lease_expires_at <= now() OR runner_instance_id = $1)
       RETURNING epoch`,
      [instanceId, leaseMs],
    );
    return rows.length > 0 ? decodeInteger(rows[0]!.epoch, 'epoch') : null;
  }

  async renewLease(instanceId: string, epoch: number, leaseMs: number): Promise<void> {
    checkInstanceId(instanceId);
    checkCount('epoch', epoch);
    checkLeaseMs(leaseMs);
    const rows = await this.executor.query(
      `UPDATE anti_entropy_lease SET lease_expires_at = ${leaseEnd('$3')}, updated_at = now()
       WHERE lease_id = 1 AND runner_instance_id = $1 AND epoch = $2
         AND lease_expires_at > now()
       RETURNING epoch`,
      [instanceId, epoch, leaseMs],
    );
    if (rows.length === 0) throw await this.stale(instanceId, epoch);
  }

  async releaseLease(instanceId: string, epoch: number): Promise<void> {
    checkInstanceId(instanceId);
    checkCount('epoch', epoch);
    await this.executor.query(
      `UPDATE anti_entropy_lease SET lease_expires_at = now(), updated_at = now()
       WHERE lease_id = 1 AND runner_instance_id = $1 AND epoch = $2`,
      [instanceId, epoch],
    );
  }

  async recordPass(pass: AntiEntropyPass): Promise<void> {
    checkPass(pass);
    await serializableTransaction(this.executor, async (transaction) => {
      // FOR SHARE: a concurrent claim waits for this record, or this record sees the claim.
      const held = await transaction.query(
        `SELECT epoch FROM anti_entropy_lease
         WHERE lease_id = 1 AND runner_instance_id = $1 AND epoch = $2 FOR SHARE`,
        [pass.runnerInstanceId, pass.epoch],
      );
      if (held.length === 0) {
        throw await this.stale(pass.runnerInstanceId, pass.epoch, transaction);
      }
      await transaction.query(
        `INSERT INTO anti_entropy_passes (pass_id, runner_instance_id, epoch, ring_version,
           started_at, completed_at, ranges_compared, buckets_differing, keys_repaired, tenant_id)
         VALUES ($1, $2, $3, $4, to_timestamp($5::double precision / 1000),
           to_timestamp($6::double precision / 1000), $7, $8, $9, $10)`,
        [
          pass.passId,
          pass.runnerInstanceId,
          pass.epoch,
          pass.ringVersion,
          pass.startedAtUnixMs,
          pass.completedAtUnixMs,
          pass.rangesCompared,
          pass.bucketsDiffering,
          pass.keysRepaired,
          pass.tenantId,
        ],
      );
      for (const node of pass.nodes) {
        await transaction.query(
          `INSERT INTO anti_entropy_pass_nodes (pass_id, node_id, keys_repaired)
           VALUES ($1, $2, $3)`,
          [pass.passId, node.nodeId, node.keysRepaired],
        );
      }
    });
  }

  async listPasses(limit: number): Promise<AntiEntropyPass[]> {
    checkRange('limit', limit, 1, ANTI_ENTROPY_PASSES_LISTED_MAX);
    const passes = await this.executor.query(
      `SELECT pass_id, runner_instance_id, epoch, ring_version, started_at, completed_at,
         ranges_compared, buckets_differing, keys_repaired, tenant_id
       FROM anti_entropy_passes ORDER BY completed_at DESC, pass_id DESC LIMIT $1`,
      [limit],
    );
    if (passes.length === 0) return [];
    const nodeRows = await this.executor.query(
      `SELECT pass_id, node_id, keys_repaired FROM anti_entropy_pass_nodes
       WHERE pass_id IN (SELECT pass_id FROM anti_entropy_passes
                         ORDER BY completed_at DESC, pass_id DESC LIMIT $1)
       ORDER BY pass_id, node_id`,
      [limit],
    );
    const nodesByPass = new Map<string, AntiEntropyPassNode[]>();
    for (const row of nodeRows) {
      const passId = decodeText(row.pass_id, 'pass_id');
      const nodes = nodesByPass.get(passId) ?? [];
      nodes.push({
        nodeId: decodeText(row.node_id, 'node_id'),
        keysRepaired: decodeInteger(row.keys_repaired, 'keys_repaired'),
      });
      nodesByPass.set(passId, nodes);
    }
    return passes.map((row) => passFrom(row, nodesByPass));
  }

  /** Inside a transaction, reads through it: PGlite has one connection. */
  private async stale(
    instanceId: string,
    epoch: number,
    queryable: SqlQueryable = this.executor,
  ): Promise<StaleAntiEntropyRunnerError> {
    const rows = await queryable.query('SELECT epoch FROM anti_entropy_lease WHERE lease_id = 1');
    const current = rows.length > 0 ? decodeInteger(rows[0]!.epoch, 'epoch') : 0;
    return new StaleAntiEntropyRunnerError(instanceId, epoch, current);
  }
}

function checkPass(pass: AntiEntropyPass): void {
  checkId('pass_id', pass.passId);
  checkInstanceId(pass.runnerInstanceId);
  checkRange('epoch', pass.epoch, 1, Number.MAX_SAFE_INTEGER);
  checkCount('ring_version', pass.ringVersion);
  if (pass.tenantId !== null) checkId('tenant_id', pass.tenantId);
  checkCount('started_at_unix_ms', pass.startedAtUnixMs);
  checkCount('completed_at_unix_ms', pass.completedAtUnixMs);
  if (pass.completedAtUnixMs < pass.startedAtUnixMs) {
    throw new InvalidMetadataError(
      'completed_at_unix_ms',
      pass.completedAtUnixMs,
      `is before started_at_unix_ms ${pass.startedAtUnixMs}`,
    );
  }
  checkCount('ranges_compared', pass.rangesCompared);
  checkCount('buckets_differing', pass.bucketsDiffering);
  checkCount('keys_repaired', pass.keysRepaired);
  const seen = new Set<string>();
  pass.nodes.forEach((node, index) => {
    checkId(`nodes[${index}].node_id`, node.nodeId);
    checkCount(`nodes[${index}].keys_repaired`, node.keysRepaired);
    if (seen.has(node.nodeId)) {
      throw new InvalidMetadataError(`nodes[${index}].node_id`, node.nodeId, 'is listed twice');
    }
    seen.add(node.nodeId);
  });
}

function passFrom(row: SqlRow, nodesByPass: Map<string, AntiEntropyPassNode[]>): AntiEntropyPass {
  const passId = decodeText(row.pass_id, 'pass_id');
  return {
    passId,
    runnerInstanceId: decodeText(row.runner_instance_id, 'runner_instance_id'),
    epoch: decodeInteger(row.epoch, 'epoch'),
    ringVersion: decodeInteger(row.ring_version, 'ring_version'),
    tenantId: decodeOptionalText(row.tenant_id, 'tenant_id'),
    startedAtUnixMs: decodeUnixMs(row.started_at, 'started_at'),
    completedAtUnixMs: decodeUnixMs(row.completed_at, 'completed_at'),
    rangesCompared: decodeInteger(row.ranges_compared, 'ranges_compared'),
    bucketsDiffering: decodeInteger(row.buckets_differing, 'buckets_differing'),
    keysRepaired: decodeInteger(row.keys_repaired, 'keys_repaired'),
    nodes: nodesByPass.get(passId) ?? [],
  };
}
