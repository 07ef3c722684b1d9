// The coordinator registry in SQL (table coordinators; docs/architecture.md#membership-metadata).
// A coordinator id is held by the instance whose lease has not lapsed by the database's clock,
// so processes on hosts with different clocks agree on who holds it. The row is never deleted:
// its hlc_high_water must outlive every process that used the id.
import {
  CoordinatorIdInUseError,
  CoordinatorLeaseLostError,
  StaleRingVersionError,
} from './metadata-errors';
import {
  checkClockReading,
  checkCount,
  checkId,
  checkInstanceId,
  checkLeaseMs,
} from './metadata-input-checks';
import { LEASE_REMAINING_MS, liveCoordinatorFrom } from './metadata-rows';
import type { CoordinatorClaim, CoordinatorRenewal, LiveCoordinator } from './metadata-store';
import type { SqlExecutor } from './sql-executor';
import { readRingVersion } from './sql-ring-version';
import { decodeBigint, decodeInteger, decodeText } from './sql-values';

/** Claim attempts when the holder's lease lapses between the refused claim and its lookup. */
const CLAIM_ATTEMPTS_MAX = 3;
/** How far behind the ring a renewing coordinator may be: it must have taken current - 1. */
const RING_VERSIONS_BEHIND_MAX = 1;

const leaseEnd = (param: string): string =>
  `now() + ${param}::double precision * interval '1 millisecond'`;

export class SqlCoordinatorRegistry {
  constructor(private readonly executor: SqlExecutor) {}

  async claimCoordinatorId(claim: CoordinatorClaim): Promise<{ hlcHighWater: bigint }> {
    checkId('coordinator_id', claim.coordinatorId);
    checkInstanceId(claim.instanceId);
    checkLeaseMs(claim.leaseMs);
    for (let attempt = 1; ; attempt++) {
      // Takes a new id, a lapsed row (another instance's, keeping its high-water mark) or this
      // instance's own row; a live row of another instance matches nothing.
      const rows = await this.executor.query(
        `INSERT INTO coordinators AS held (coordinator_id, instance_id, address, lease_expires_at)
         VALUES ($1, $2, $3, ${leaseEnd('$4')})
         ON CONFLICT (coordinator_id) DO UPDATE SET
           instance_id = EXCLUDED.instance_id, address = EXCLUDED.address,
           lease_expires_at = EXCLUDED.lease_expires_at,
           taken_ring_version = CASE WHEN held.instance_id = EXCLUDED.instance_id
             THEN held.taken_ring_version ELSE 0 END,
           started_at = CASE WHEN held.instance_id = EXCLUDED.instance_id
             THEN held.started_at ELSE now() END,
           updated_at = now()
         WHERE held.lease_expires_at <= now() OR held.instance_id = EXCLUDED.instance_id
         RETURNING hlc_high_water`,
        [claim.coordinatorId, claim.instanceId, claim.address, claim.leaseMs],
      );
      if (rows.length > 0) {
        return { hlcHighWater: decodeBigint(rows[0]!.hlc_high_water, 'hlc_high_water') };
      }
      const holder = await this.executor.query(
        `SELECT instance_id, ${LEASE_REMAINING_MS} FROM coordinators WHERE coordinator_id = $1`,
        [claim.coordinatorId],
      );
      const remainingMs =
        holder.length === 0
          ? 0
          : decodeInteger(holder[0]!.lease_remaining_ms, 'lease_remaining_ms');
      if (remainingMs > 0 || attempt >= CLAIM_ATTEMPTS_MAX) {
        throw new CoordinatorIdInUseError(
          claim.coordinatorId,
          holder.length === 0 ? '(unknown)' : decodeText(holder[0]!.instance_id, 'instance_id'),
          Math.max(remainingMs, 0),
        );
      }
    }
  }

  async renewCoordinatorLease(renewal: CoordinatorRenewal): Promise<void> {
    checkId('coordinator_id', renewal.coordinatorId);
    checkInstanceId(renewal.instanceId);
    checkLeaseMs(renewal.leaseMs);
    checkCount('taken_ring_version', renewal.takenRingVersion);
    checkClockReading('hlc_high_water', renewal.hlcHighWater);
    await this.executor.transaction(async (transaction) => {
      const rows = await transaction.query(
        'SELECT instance_id FROM coordinators WHERE coordinator_id = $1 FOR UPDATE',
        [renewal.coordinatorId],
      );
      const holder = rows.length === 0 ? null : decodeText(rows[0]!.instance_id, 'instance_id');
      if (holder !== renewal.instanceId) {
        throw new CoordinatorLeaseLostError(renewal.coordinatorId, renewal.instanceId, holder);
      }
      const current = await readRingVersion(transaction);
      if (renewal.takenRingVersion < current - RING_VERSIONS_BEHIND_MAX) {
        throw new StaleRingVersionError(renewal.takenRingVersion, current);
      }
      await transaction.query(
        `UPDATE coordinators SET lease_expires_at = ${leaseEnd('$2')},
           taken_ring_version = GREATEST(taken_ring_version, $3::bigint),
           hlc_high_water = GREATEST(hlc_high_water, $4::numeric), updated_at = now()
         WHERE coordinator_id = $1`,
        [
          renewal.coordinatorId,
          renewal.leaseMs,
          renewal.takenRingVersion,
          renewal.hlcHighWater.toString(),
        ],
      );
    });
  }

  async releaseCoordinatorId(coordinatorId: string, instanceId: string): Promise<void> {
    checkId('coordinator_id', coordinatorId);
    checkInstanceId(instanceId);
    await this.executor.query(
      `UPDATE coordinators SET lease_expires_at = now(), updated_at = now()
       WHERE coordinator_id = $1 AND instance_id = $2 AND lease_expires_at > now()`,
      [coordinatorId, instanceId],
    );
  }

  async listLiveCoordinators(): Promise<LiveCoordinator[]> {
    const rows = await this.executor.query(
      `SELECT coordinator_id, instance_id, address, taken_ring_version, ${LEASE_REMAINING_MS}
       FROM coordinators WHERE lease_expires_at > now() ORDER BY coordinator_id`,
    );
    return rows.map(liveCoordinatorFrom);
  }
}
