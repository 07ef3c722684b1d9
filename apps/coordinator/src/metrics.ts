// The coordinator's Prometheus metrics (docs/architecture.md#observability, the seed's names), in a
// registry of its own.
import { registerProcessMetrics } from '@pairdb/service-runtime';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS_SECONDS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** Requests per Exchange batch: powers of two up to BATCH_ITEMS_MAX (storage-connections.ts). */
const BATCH_ITEMS_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

export class CoordinatorMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'operation' | 'status'>;
  readonly requestDuration: Histogram<'operation'>;
  readonly cacheHits: Counter<'cache_type'>;
  readonly cacheMisses: Counter<'cache_type'>;
  readonly conflictsDetected: Counter;
  readonly repairsTriggered: Counter;
  readonly repairsDone: Counter;
  readonly repairsFailed: Counter;
  readonly repairsDropped: Counter;
  readonly quorumFailures: Counter;
  readonly hintsSent: Counter;
  readonly hintsFailed: Counter;
  readonly idempotentDuplicates: Counter;
  readonly exchangeBatchItems: Histogram;

  constructor(sources: {
    ringNodes: () => number;
    ringVersion: () => number;
    repairQueue: () => number;
  }) {
    const registers = [this.registry];
    registerProcessMetrics(this.registry, 'coordinator_');
    this.requests = new Counter({
      name: 'coordinator_requests_total',
      help: 'Client requests, by operation and gRPC status',
      labelNames: ['operation', 'status'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'coordinator_request_duration_seconds',
      help: 'Client request latency, by operation',
      labelNames: ['operation'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.cacheHits = new Counter({
      name: 'coordinator_cache_hits_total',
      help: 'Cache hits',
      labelNames: ['cache_type'],
      registers,
    });
    this.cacheMisses = new Counter({
      name: 'coordinator_cache_misses_total',
      help: 'Cache misses',
      labelNames: ['cache_type'],
      registers,
    });
    this.conflictsDetected = new Counter({
      name: 'coordinator_conflicts_detected_total',
      help: 'Reads that found concurrent siblings',
      registers,
    });
    this.repairsTriggered = new Counter({
      name: 'coordinator_repairs_triggered_total',
      help: 'Read repairs asked for',
      registers,
    });
    this.repairsDone = new Counter({
      name: 'coordinator_repairs_done_total',
      help: 'Read repairs a replica acknowledged',
      registers,
    });
    this.repairsFailed = new Counter({
      name: 'coordinator_repairs_failed_total',
      help: 'Read repairs that failed',
      registers,
    });
    this.repairsDropped = new Counter({
      name: 'coordinator_repairs_dropped_total',
      help: 'Read repairs dropped on a full queue',
      registers,
    });
    this.quorumFailures = new Counter({
      name: 'coordinator_quorum_failures_total',
      help: 'Requests that missed their quorum',
      registers,
    });
    this.hintsSent = new Counter({
      name: 'coordinator_hints_sent_total',
      help: 'Writes handed to a stand-in node as hints',
      registers,
    });
    this.hintsFailed = new Counter({
      name: 'coordinator_hints_failed_total',
      help: 'Hints no stand-in node took',
      registers,
    });
    this.idempotentDuplicates = new Counter({
      name: 'coordinator_idempotent_duplicates_total',
      help: 'Writes answered from a stored idempotency record',
      registers,
    });
    // How well the data path batches (docs/architecture.md#performance-design): each batch
    // message costs a node one commit-log append and the transport one message.
    this.exchangeBatchItems = new Histogram({
      name: 'coordinator_exchange_batch_items',
      help: 'Requests per Exchange batch message sent to a storage node',
      buckets: BATCH_ITEMS_BUCKETS,
      registers,
    });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge('coordinator_ring_nodes', 'Storage nodes in the ring', sources.ringNodes);
    gauge(
      'coordinator_ring_version',
      'Ring version this coordinator routes by',
      sources.ringVersion,
    );
    gauge('coordinator_repair_queue_length', 'Read repairs waiting', sources.repairQueue);
  }
}
