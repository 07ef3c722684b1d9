// Per-operation counts and latency histograms (HdrHistogram, microsecond resolution, three
// significant digits), summarized as throughput and p50/p95/p99/max in milliseconds.
import { build, type Histogram } from 'hdr-histogram-js';

/** Longest latency tracked exactly: one minute; the histogram grows past it if needed. */
const LATENCY_US_MAX = 60_000_000;
const MICROS_PER_MS = 1_000;

export interface OperationSummary {
  readonly count: number;
  readonly errors: number;
  /** Successful operations per second over the phase's wall-clock time. */
  readonly throughput: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p95: number;
    readonly p99: number;
    readonly max: number;
    readonly mean: number;
  };
  /** Failed operations by gRPC status name (or error name). */
  readonly errorsByCode: Readonly<Record<string, number>>;
}

export class OperationStats {
  private readonly histogram: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: LATENCY_US_MAX,
    numberOfSignificantValueDigits: 3,
  });
  private count = 0;
  private readonly errors = new Map<string, number>();

  recordSuccess(latencyUs: number): void {
    this.count++;
    this.histogram.recordValue(Math.max(1, Math.round(latencyUs)));
  }

  recordError(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  summary(durationMs: number): OperationSummary {
    const h = this.histogram;
    const ms = (us: number) => (this.count === 0 ? 0 : us / MICROS_PER_MS);
    let errors = 0;
    for (const count of this.errors.values()) errors += count;
    return {
      count: this.count,
      errors,
      throughput: durationMs > 0 ? (this.count * 1000) / durationMs : 0,
      latencyMs: {
        p50: ms(h.getValueAtPercentile(50)),
        p95: ms(h.getValueAtPercentile(95)),
        p99: ms(h.getValueAtPercentile(99)),
        max: ms(h.maxValue),
        mean: ms(h.mean),
      },
      errorsByCode: Object.fromEntries(this.errors),
    };
  }
}

/** Stats per operation name, created on first use. */
export class PhaseStats {
  private readonly byOperation = new Map<string, OperationStats>();

  for(operation: string): OperationStats {
    let stats = this.byOperation.get(operation);
    if (!stats) {
      stats = new OperationStats();
      this.byOperation.set(operation, stats);
    }
    return stats;
  }

  summaries(durationMs: number): Record<string, OperationSummary> {
    const out: Record<string, OperationSummary> = {};
    for (const [operation, stats] of this.byOperation) out[operation] = stats.summary(durationMs);
    return out;
  }
}
