// Anti-entropy metrics (docs/architecture.md#observability), in the coordinator's registry: only
// the coordinator holding the anti-entropy lease moves them.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const PASS_BUCKETS_SECONDS = [0.1, 0.5, 1, 5, 15, 60, 300, 1_800, 3_600, 14_400];

export class AntiEntropyMetrics {
  readonly rangesCompared: Counter;
  readonly bucketsDiffering: Counter;
  readonly keysRepaired: Counter;
  readonly passDurationSeconds: Histogram;
  readonly lastCompletedPassSeconds: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.rangesCompared = new Counter({
      name: 'coordinator_anti_entropy_ranges_compared_total',
      help: 'Ranges whose replicas anti-entropy compared by digest',
      registers,
    });
    this.bucketsDiffering = new Counter({
      name: 'coordinator_anti_entropy_buckets_differing_total',
      help: 'Digest buckets that differed between replicas and were scanned',
      registers,
    });
    this.keysRepaired = new Counter({
      name: 'coordinator_anti_entropy_keys_repaired_total',
      help: 'Merged version sets anti-entropy sent to replicas that were behind (one per replica)',
      registers,
    });
    this.passDurationSeconds = new Histogram({
      name: 'coordinator_anti_entropy_pass_duration_seconds',
      help: 'Duration of anti-entropy passes, complete or not',
      buckets: PASS_BUCKETS_SECONDS,
      registers,
    });
    this.lastCompletedPassSeconds = new Gauge({
      name: 'coordinator_anti_entropy_last_completed_pass_seconds',
      help: 'Unix time of the last anti-entropy pass that compared every range on every owner',
      registers,
    });
  }
}
