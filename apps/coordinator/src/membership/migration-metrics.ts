// Migration metrics (docs/architecture.md#observability), in the coordinator's registry: only the
// coordinator driving a migration moves them.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const BARRIER_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300];

export class MigrationMetrics {
  readonly keysCopied: Counter;
  readonly bytesCopied: Counter;
  readonly rangesDone: Gauge;
  readonly rangesTotal: Gauge;
  /** 0 none, 1 dual_write, 2 data_copy, 3 cutover, 4 cleanup. */
  readonly phase: Gauge<'migration_id'>;
  readonly barrierWaitSeconds: Histogram;
  readonly checkpointLagKeys: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.keysCopied = new Counter({
      name: 'coordinator_migration_keys_copied_total',
      help: 'Keys copied to new replicas by migrations this coordinator drove',
      registers,
    });
    this.bytesCopied = new Counter({
      name: 'coordinator_migration_bytes_copied_total',
      help: 'Encoded bytes of the version sets copied by migrations this coordinator drove',
      registers,
    });
    this.rangesDone = new Gauge({
      name: 'coordinator_migration_ranges_done',
      help: 'Moving ranges copied and verified in the migration being driven',
      registers,
    });
    this.rangesTotal = new Gauge({
      name: 'coordinator_migration_ranges_moving',
      help: 'Moving ranges (copy tasks) of the migration being driven',
      registers,
    });
    this.phase = new Gauge({
      name: 'coordinator_migration_phase',
      help: 'Phase of the migration being driven: 0 none, 1 dual_write, 2 data_copy, 3 cutover, 4 cleanup, 5 rolling_back',
      labelNames: ['migration_id'],
      registers,
    });
    this.barrierWaitSeconds = new Histogram({
      name: 'coordinator_migration_barrier_wait_seconds',
      help: 'Time a migration step waited for every live coordinator to take its ring version',
      buckets: BARRIER_BUCKETS_SECONDS,
      registers,
    });
    this.checkpointLagKeys = new Gauge({
      name: 'coordinator_migration_checkpoint_lag_keys',
      help: 'Keys copied to a destination but not yet covered by a written checkpoint',
      registers,
    });
  }
}
