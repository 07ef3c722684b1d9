// Repair horizons (docs/architecture.md#tombstone-purge): for each token range an anti-entropy
// pass compared on every owner, the time (this node's clock) before which whatever the node
// stored was in the digest it gave that pass. A tombstone received before it was then on every
// owner when the range's comparison completed, so a replica that missed the delete has it.
//
// Kept in memory only: after a restart nothing is purged until a pass covers the range again,
// which delays purges and never allows a wrong one. A horizon counts only under ring versions
// at or above the node's minimum: a migration raises the minimum, so passes from before a node
// gained (or lost) a range never count for it.
import { rangeContains, type Token, type TokenRange } from '@pairdb/hashring';

export interface RepairHorizon {
  readonly range: TokenRange;
  readonly verifiedBeforeMs: number;
  readonly ringVersion: bigint;
}

/** Horizons kept per tenant; past it the oldest are forgotten (a purge waits for a new pass). */
export const HORIZONS_PER_TENANT_MAX = 65_536;

export class RepairHorizons {
  private readonly byTenant = new Map<string, RepairHorizon[]>();

  /** Records `horizon`, replacing an older one of the same range; drops stale versions. */
  record(tenantId: string, horizon: RepairHorizon, minRingVersion: bigint): void {
    const kept = (this.byTenant.get(tenantId) ?? []).filter(
      (other) =>
        other.ringVersion >= minRingVersion &&
        !(other.range.start === horizon.range.start && other.range.end === horizon.range.end),
    );
    kept.push(horizon);
    if (kept.length > HORIZONS_PER_TENANT_MAX) kept.shift();
    this.byTenant.set(tenantId, kept);
  }

  /**
   * The latest verified time of `tenantId`'s ranges holding `token` under a ring version at or
   * above `minRingVersion`; undefined when no such pass completed.
   */
  verifiedBefore(tenantId: string, token: Token, minRingVersion: bigint): number | undefined {
    let latest: number | undefined;
    for (const horizon of this.byTenant.get(tenantId) ?? []) {
      if (horizon.ringVersion < minRingVersion || !rangeContains(horizon.range, token)) continue;
      latest = Math.max(latest ?? horizon.verifiedBeforeMs, horizon.verifiedBeforeMs);
    }
    return latest;
  }
}
