// `pairdb bench`: YCSB's two phases against a running cluster. The load phase inserts
// recordcount records; each run phase issues operationcount operations of one workload from
// `clients` concurrent callers, each waiting for its answer before the next (closed loop, as
// YCSB's threads do). Latency is measured per call, around the client library call.
//
// Record keys are "user" + FNV-64(keynum), as YCSB names them; values are printable bytes.
// Calls are not retried (the client's retries would hide failures and blur latencies): a
// failed call is counted under its status and the run goes on.
import type { Consistency, PairDBClient, VectorClock } from '@pairdb/client';
import { AcknowledgedCounter } from './distributions/acknowledged-counter';
import { fnvHash64 } from './distributions/key-hash';
import { ScrambledZipfianGenerator } from './distributions/scrambled-zipfian';
import { SkewedLatestGenerator } from './distributions/skewed-latest';
import { UniformGenerator } from './distributions/uniform';
import { OperationChooser } from './operation-chooser';
import { PhaseStats, type OperationSummary } from './operation-stats';
import { Random } from './random';
import { unsupportedReason, type Distribution, type Operation, type Workload } from './workloads';

/** Bytes of random text values are cut from: big enough that values rarely repeat. */
const VALUE_POOL_BYTES = 1024 * 1024;
/** YCSB draws again when a zipfian key is past the last insert; this bounds the redraws. */
const KEY_REDRAWS_MAX = 100;
/** Room for run-phase inserts in the zipfian key space, as YCSB sizes it (2x expected). */
const EXPECTED_INSERTS_FACTOR = 2;

export type BenchClient = Pick<PairDBClient, 'put' | 'get'>;

export interface BenchSettings {
  readonly tenant: string;
  readonly records: number;
  readonly operations: number;
  readonly clients: number;
  readonly valueSize: number;
  readonly consistency: Consistency;
  /** Overrides every workload's own request distribution. */
  readonly distribution?: Distribution;
  readonly seed: number;
}

export interface Progress {
  start(phase: string, total: number): void;
  increment(): void;
  stop(): void;
}

export interface PhaseResult {
  readonly durationMs: number;
  /** Operations per second, all of them, failed ones included (YCSB's overall throughput). */
  readonly throughput: number;
  readonly operations: Record<string, OperationSummary>;
}

export interface WorkloadResult extends Partial<PhaseResult> {
  readonly workload: string;
  readonly description: string;
  readonly distribution: Distribution;
  readonly supported: boolean;
  readonly unsupportedReason?: string;
}

export function recordKey(keyNumber: number): string {
  return `user${fnvHash64(keyNumber)}`;
}

export class BenchRunner {
  private readonly random: Random;
  private readonly values: Buffer;
  /** Records known to exist: the load phase's, plus inserts of earlier run phases. */
  private recordCount: number;

  constructor(
    private readonly client: BenchClient,
    private readonly settings: BenchSettings,
    private readonly progress: Progress,
  ) {
    this.random = new Random(settings.seed);
    this.values = printablePool(this.random, VALUE_POOL_BYTES + settings.valueSize);
    this.recordCount = settings.records;
  }

  async load(): Promise<PhaseResult> {
    const stats = new PhaseStats();
    let next = 0;
    return this.phase('load', this.settings.records, stats, async () => {
      const keyNumber = next++;
      await this.timed(stats, 'INSERT', () => this.write(recordKey(keyNumber)));
    });
  }

  async run(workload: Workload): Promise<WorkloadResult> {
    const distribution = this.settings.distribution ?? workload.distribution;
    const base = { workload: workload.name, description: workload.description, distribution };
    const reason = unsupportedReason(workload);
    if (reason) return { ...base, supported: false, unsupportedReason: reason };
    const inserted = new AcknowledgedCounter(this.recordCount);
    const nextKey = this.keyChooser(workload, distribution, inserted);
    const chooser = new OperationChooser(workload, this.random);
    const stats = new PhaseStats();
    const result = await this.phase(`run ${workload.name}`, this.settings.operations, stats, () =>
      this.operation(chooser.next(), nextKey, inserted, stats),
    );
    this.recordCount = inserted.lastValue() + 1;
    return { ...base, supported: true, ...result };
  }

  private async operation(
    operation: Operation,
    nextKey: () => number,
    inserted: AcknowledgedCounter,
    stats: PhaseStats,
  ): Promise<void> {
    switch (operation) {
      case 'READ':
        await this.timed(stats, 'READ', () => this.read(recordKey(nextKey())));
        return;
      case 'UPDATE':
        await this.timed(stats, 'UPDATE', () => this.write(recordKey(nextKey())));
        return;
      case 'INSERT': {
        const keyNumber = inserted.next();
        await this.timed(stats, 'INSERT', () => this.write(recordKey(keyNumber)));
        inserted.acknowledge(keyNumber);
        return;
      }
      case 'READ-MODIFY-WRITE':
        // Like YCSB: the whole is measured, and its read and update count as reads and updates.
        await this.timed(stats, 'READ-MODIFY-WRITE', async () => {
          const key = recordKey(nextKey());
          const read = await this.timed(stats, 'READ', () => this.read(key), true);
          await this.timed(stats, 'UPDATE', () => this.write(key, read.vectorClock), true);
        });
        return;
      case 'SCAN':
        throw new Error('SCAN is unsupported: unsupportedReason() keeps workload E out');
    }
  }

  /** Runs `total` operations from `clients` concurrent callers; the progress bar follows. */
  private async phase(
    name: string,
    total: number,
    stats: PhaseStats,
    operation: () => Promise<void>,
  ): Promise<PhaseResult> {
    let issued = 0;
    this.progress.start(name, total);
    const started = performance.now();
    const caller = async () => {
      while (issued < total) {
        issued++;
        await operation();
        this.progress.increment();
      }
    };
    try {
      await Promise.all(Array.from({ length: this.settings.clients }, caller));
    } finally {
      this.progress.stop();
    }
    const durationMs = performance.now() - started;
    return {
      durationMs,
      throughput: durationMs > 0 ? (total * 1000) / durationMs : 0,
      operations: stats.summaries(durationMs),
    };
  }

  /**
   * Times `call` under `operation`. A failure is counted by its status and swallowed, so the
   * run goes on; `rethrow` passes it up instead (the parts of a read-modify-write).
   */
  private async timed<T>(
    stats: PhaseStats,
    operation: string,
    call: () => Promise<T>,
    rethrow = false,
  ): Promise<T> {
    const started = performance.now();
    try {
      const result = await call();
      stats.for(operation).recordSuccess((performance.now() - started) * 1000);
      return result;
    } catch (error) {
      stats.for(operation).recordError(errorCode(error));
      if (rethrow) throw error;
      return undefined as T;
    }
  }

  private read(key: string) {
    return this.client.get(this.settings.tenant, key, { consistency: this.settings.consistency });
  }

  private write(key: string, context?: VectorClock) {
    return this.client.put(this.settings.tenant, key, this.nextValue(), {
      consistency: this.settings.consistency,
      context,
    });
  }

  private nextValue(): Buffer {
    const offset = Math.floor(this.random.nextDouble() * VALUE_POOL_BYTES);
    return this.values.subarray(offset, offset + this.settings.valueSize);
  }

  private keyChooser(
    workload: Workload,
    distribution: Distribution,
    inserted: AcknowledgedCounter,
  ): () => number {
    const records = this.recordCount;
    switch (distribution) {
      case 'uniform': {
        const uniform = new UniformGenerator(0, records - 1, this.random);
        return () => uniform.next();
      }
      case 'latest': {
        const latest = new SkewedLatestGenerator(inserted, this.random);
        return () => latest.next();
      }
      case 'zipfian': {
        const expectedInserts = Math.floor(
          this.settings.operations * (workload.mix.INSERT ?? 0) * EXPECTED_INSERTS_FACTOR,
        );
        const zipfian = new ScrambledZipfianGenerator(
          0,
          records + expectedInserts - 1,
          this.random,
        );
        return () => {
          for (let draw = 0; draw < KEY_REDRAWS_MAX; draw++) {
            const keyNumber = zipfian.next();
            if (keyNumber <= inserted.lastValue()) return keyNumber;
          }
          return zipfian.next() % (inserted.lastValue() + 1);
        };
      }
    }
  }
}

function errorCode(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return error instanceof Error ? error.name : 'UNKNOWN';
}

/** Random printable ASCII, so benchmark values read well in `pairdb get`. */
function printablePool(random: Random, bytes: number): Buffer {
  const pool = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) pool[i] = 0x21 + (random.nextUint32() % 94);
  return pool;
}
