// The storage node's Prometheus metrics, in a registry of its own
// (docs/architecture.md#observability). Engine figures are read from engine.stats() at scrape time,
// so they cost nothing per request.
import { registerProcessMetrics } from '@pairdb/service-runtime';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine } from './engine';

const LATENCY_BUCKETS_SECONDS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

export interface EngineSource {
  engine(): Engine | undefined;
  freeDiskBytes(): number | undefined;
  hintsPending(): number;
  /** Whether the digest index is ready (range digests of whole segments cost no scan). */
  digestIndexReady(): boolean;
}

export class StorageMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'operation' | 'status'>;
  readonly requestDuration: Histogram<'operation'>;
  readonly hintsStored: Counter;
  readonly hintsDelivered: Counter;
  readonly hintsDropped: Counter;
  readonly tombstonesPurged: Counter;
  readonly siblingCapCollapses: Counter;
  readonly corruptionErrors: Counter<'operation'>;
  readonly corruptVersionsReplaced: Counter;
  readonly requestsFenced: Counter<'reason'>;
  readonly digestKeysScanned: Counter;
  readonly digestRebuilds: Counter<'outcome'>;

  constructor(source: EngineSource) {
    const registers = [this.registry];
    registerProcessMetrics(this.registry, 'storage_node_');
    this.requests = new Counter({
      name: 'storage_requests_total',
      help: 'Requests served, by operation and gRPC status',
      labelNames: ['operation', 'status'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'storage_request_duration_seconds',
      help: 'Time to apply a request on this replica, by operation',
      labelNames: ['operation'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.hintsStored = new Counter({
      name: 'storage_hints_stored_total',
      help: 'Hints accepted for other replicas',
      registers,
    });
    this.hintsDelivered = new Counter({
      name: 'storage_hints_delivered_total',
      help: 'Hints delivered to their owners and deleted',
      registers,
    });
    this.hintsDropped = new Counter({
      name: 'storage_hints_dropped_total',
      help: 'Hints dropped after the hint window expired',
      registers,
    });
    this.tombstonesPurged = new Counter({
      name: 'storage_tombstones_purged_total',
      help: 'Keys whose tombstones were purged after their grace and a verifying repair pass',
      registers,
    });
    this.siblingCapCollapses = new Counter({
      name: 'storage_sibling_cap_collapses_total',
      help: 'Version sets collapsed to their LWW winner past the sibling cap',
      registers,
    });
    this.corruptionErrors = new Counter({
      name: 'storage_corruption_errors_total',
      help: 'Stored versions found damaged (CRC, bad block), by the operation that met them',
      labelNames: ['operation'],
      registers,
    });
    this.corruptVersionsReplaced = new Counter({
      name: 'storage_corrupt_versions_replaced_total',
      help: 'Damaged stored versions replaced by the set a repair brought',
      registers,
    });
    this.requestsFenced = new Counter({
      name: 'storage_requests_fenced_total',
      help:
        'Requests refused by the fence: a stale ring version, a stale migration driver epoch, ' +
        'or a write for a key no known ring version assigns to this node',
      labelNames: ['reason'],
      registers,
    });
    this.digestKeysScanned = new Counter({
      name: 'storage_digest_keys_scanned_total',
      help:
        'Keys read to answer range digests: range edges not cached, or every key of a range ' +
        'while the digest index is rebuilt',
      registers,
    });
    this.digestRebuilds = new Counter({
      name: 'storage_digest_rebuilds_total',
      help: 'Rebuilds of the digest index from an engine scan, by outcome (completed or failed)',
      labelNames: ['outcome'],
      registers,
    });
    new Gauge({
      name: 'storage_digest_index_ready',
      help: '1 once the digest index is built (after start or a rebuild), 0 while it is rebuilt',
      registers,
      collect() {
        this.set(source.digestIndexReady() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'storage_hints_pending',
      help: 'Hints waiting for delivery',
      registers,
      collect() {
        this.set(source.hintsPending());
      },
    });
    new Gauge({
      name: 'storage_disk_free_bytes',
      help: 'Free bytes on the data directory filesystem',
      registers,
      collect() {
        const free = source.freeDiskBytes();
        if (free !== undefined) this.set(free);
      },
    });
    this.registerEngineMetrics(source, registers);
  }

  private registerEngineMetrics(source: EngineSource, registers: Registry[]): void {
    const stats = () => source.engine()?.stats();
    const gauge = (
      name: string,
      help: string,
      read: (s: NonNullable<ReturnType<typeof stats>>) => number,
    ) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const s = stats();
          if (s) this.set(read(s));
        },
      });
    // Engine totals are monotonic: exposed as counters that mirror the engine's own tallies.
    const counter = (
      name: string,
      help: string,
      read: (s: NonNullable<ReturnType<typeof stats>>) => number,
    ) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          const s = stats();
          if (!s) return;
          this.reset();
          this.inc(read(s));
        },
      });
    gauge(
      'storage_memtable_bytes',
      'Bytes in the active and frozen memtables',
      (s) => s.memtableBytes,
    );
    for (const [name, help, field] of [
      ['storage_sstable_files', 'SSTable files per level', 'files'],
      ['storage_sstable_bytes', 'SSTable bytes per level', 'bytes'],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ['level'],
        registers,
        collect() {
          const s = stats();
          if (!s) return;
          for (const level of s.levels) this.set({ level: String(level.level) }, level[field]);
        },
      });
    }
    counter('storage_compactions_total', 'Compactions finished', (s) => s.compactions);
    counter(
      'storage_compaction_bytes_total',
      'Bytes written by compactions',
      (s) => s.bytesCompacted,
    );
    counter(
      'storage_engine_written_bytes_total',
      'Bytes written to the commit log',
      (s) => s.bytesWritten,
    );
    counter('storage_engine_read_bytes_total', 'Bytes read from SSTables', (s) => s.bytesRead);
    counter('storage_commit_log_fsyncs_total', 'Commit-log fsyncs', (s) => s.commitLogFsyncs);
    counter(
      'storage_commit_log_fsync_seconds_total',
      'Time spent in commit-log fsyncs',
      (s) => s.fsyncSecondsTotal,
    );
    counter('storage_block_cache_hits_total', 'Block cache hits', (s) => s.cacheHits);
    counter('storage_block_cache_misses_total', 'Block cache misses', (s) => s.cacheMisses);
    gauge(
      'storage_block_cache_hit_ratio',
      'Block cache hits / lookups since start',
      (s) => s.cacheHitRatio,
    );
    counter(
      'storage_write_stalls_total',
      'Writes delayed or stopped by L0 backlog',
      (s) => s.writeStalls,
    );
    gauge(
      'storage_write_queue_writes',
      'Writes waiting behind a stall in the engine write queue',
      (s) => s.queuedWrites,
    );
    gauge(
      'storage_write_queue_bytes',
      'Bytes of the writes waiting in the engine write queue',
      (s) => s.queuedWriteBytes,
    );
    counter(
      'storage_write_queue_refused_total',
      'Writes refused (RESOURCE_EXHAUSTED) because the engine write queue was full',
      (s) => s.writesRefused,
    );
  }
}
