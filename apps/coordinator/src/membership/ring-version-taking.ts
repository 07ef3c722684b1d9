// Taking up a ring version (docs/architecture.md#membership-and-migrations): once the router has
// swapped in version v, new requests start under v; queued read repairs of older versions are
// dropped, requests still running under older ones are waited for, cached tenant rows (whose
// replication factor a migration may have changed) are forgotten, and only then is v recorded as
// taken, so a migration step that waits for every coordinator to have taken v knows no request of
// an older version is still in flight anywhere.
import type { Logger } from '@pairdb/service-runtime';
import type { ReadRepairQueue } from '../paths/read-repair';
import type { RequestsInFlight } from '../routing/requests-in-flight';
import type { RingRouter } from '../routing/ring-router';
import type { TenantCache } from '../tenants/tenant-cache';

export interface RingVersionTakingDeps {
  readonly router: RingRouter;
  readonly inFlight: RequestsInFlight;
  readonly repairs: ReadRepairQueue;
  readonly tenants: TenantCache;
  /** Records the version as taken (the coordinator's registry lease carries it). */
  readonly recordTaken: (ringVersion: number) => Promise<void>;
  readonly logger: Logger;
}

/** Follows every version the router loads; answers the highest version taken so far. */
export function followRingVersions(deps: RingVersionTakingDeps): { taken(): number } {
  let taken = deps.router.ringVersion;
  deps.router.onView((view) => {
    const version = view.ringVersion;
    deps.tenants.clear();
    const dropped = deps.repairs.dropOlderThan(version);
    const started = performance.now();
    void deps.inFlight
      .drained(version)
      .then(async () => {
        if (version <= taken) return;
        taken = version;
        await deps.recordTaken(version);
        deps.logger.info(
          {
            ringVersion: version,
            drainMs: Math.round(performance.now() - started),
            repairsDropped: dropped,
          },
          'ring version taken',
        );
      })
      .catch((error: Error) =>
        deps.logger.warn(
          { ringVersion: version, err: error.message },
          'recording a taken ring version failed',
        ),
      );
  });
  return { taken: () => taken };
}
