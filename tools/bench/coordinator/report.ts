// The benchmark's output: every run beside the echo run and the etcd run of the same pass and
// client count, as a table or one JSON object. The targets are printed with the figures, never
// asserted.
import { cpus, loadavg } from 'node:os';
import type { SyncPolicy } from './cluster';
import { cpuProbeMs, probeLine } from './machine-speed';
import type { LoadResult } from './workload';

/**
 * docs/architecture.md#performance-design: writes at RF 3 reach at least this share of the echo
 * throughput.
 */
export const WRITE_THROUGHPUT_RATIO_TARGET = 0.7;
/**
 * docs/architecture.md#performance-design: write p99 at most this multiple of the echo p99 at the
 * same concurrency.
 */
export const WRITE_P99_RATIO_TARGET = 2;
/** docs/benchmarks.md#coordinator-vs-a-bare-grpc-echo-and-etcd: QUORUM writes at least this
 * multiple of a 3-member etcd's Put throughput at the same concurrency... */
export const ETCD_THROUGHPUT_RATIO_TARGET = 1.5;
/** ...with a p99 no higher than etcd's. */
export const ETCD_P99_RATIO_TARGET = 1;
/** etcd fsyncs its WAL before answering: only writes that fsync too are held to its figures. */
const ETCD_COMPARABLE_SYNC: SyncPolicy = 'always';

/** CPU cores used during the measured window by the server (the echo server or the
 * coordinators), the storage nodes together (for etcd-put, the etcd members), and the load
 * generator; null where unknown. */
export interface CpuCores {
  readonly server?: number | null;
  readonly storageNodes?: number | null;
  readonly loadGenerator?: number | null;
}

export interface ReportRow extends LoadResult {
  readonly cpuCores: CpuCores;
  /** write and read rows: requests per Exchange batch message in the window (exchange-batches.ts). */
  readonly requestsPerBatch?: number;
  /** The storage sync policy of the cluster measured in this pass (echo rows: same pass). */
  readonly sync: SyncPolicy;
  /** ops/s divided by the echo ops/s of the same pass and client count. */
  readonly throughputRatio: number;
  /** p99 divided by the echo p99 of the same pass and client count. */
  readonly p99Ratio: number;
  /** write rows: ops/s divided by the etcd-put ops/s of the same pass and client count. */
  readonly etcdThroughputRatio: number;
  /** write rows: p50 divided by the etcd-put p50. */
  readonly etcdP50Ratio: number;
  /** write rows: p99 divided by the etcd-put p99. */
  readonly etcdP99Ratio: number;
}

export interface TargetCheck {
  /** What the writes are held to. */
  readonly baseline: 'echo' | 'etcd';
  readonly sync: SyncPolicy;
  readonly clients: number;
  readonly throughputRatio: number;
  readonly p99Ratio: number;
  readonly met: boolean;
}

/** How and when a benchmark ran: what every figure it prints depends on. */
export interface RunConditions {
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly cpus: number;
  readonly nodeVersion: string;
  /** 1-minute load average before the first run: other work on the machine skews every row. */
  readonly loadAverageAtStart: number;
  /** 1-minute load average after the last run (the benchmark's own processes included). */
  readonly loadAverageAtEnd: number;
  /** machine-speed.ts's probe before the first run and after the last, in ms. */
  readonly cpuProbeMsAtStart: number;
  readonly cpuProbeMsAtEnd: number;
}

/** What a run's conditions are compared against at its end. */
export interface RunStart {
  readonly loadAverageAtStart: number;
  readonly cpuProbeMsAtStart: number;
}

/** Reads the load average and times the CPU probe before the first run. */
export function runStart(): RunStart {
  return { loadAverageAtStart: loadavg()[0]!, cpuProbeMsAtStart: cpuProbeMs() };
}

/** The conditions of a run that began with `start` and ends now. */
export function runConditions(
  options: { readonly warmupMs: number; readonly durationMs: number },
  start: RunStart,
): RunConditions {
  return {
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    cpus: cpus().length,
    nodeVersion: process.version,
    loadAverageAtStart: start.loadAverageAtStart,
    loadAverageAtEnd: loadavg()[0]!,
    cpuProbeMsAtStart: start.cpuProbeMsAtStart,
    cpuProbeMsAtEnd: cpuProbeMs(),
  };
}

/** The machine lines of a report: cores, Node, load average, the CPU probes, the timing. */
export function conditionLines(conditions: RunConditions): string[] {
  return [
    `${conditions.cpus} CPUs, node ${conditions.nodeVersion}, load average ` +
      `${conditions.loadAverageAtStart.toFixed(2)} at start, ` +
      `${conditions.loadAverageAtEnd.toFixed(2)} at end; ${conditions.warmupMs / 1_000} s ` +
      `warm-up, ${conditions.durationMs / 1_000} s measured per row`,
    probeLine(conditions.cpuProbeMsAtStart, conditions.cpuProbeMsAtEnd),
  ];
}

export interface BenchSetup extends RunConditions {
  readonly storageNodes: number;
  readonly replicationFactor: number;
  readonly consistency: string;
  readonly keyBytes: number;
  readonly valueBytes: number;
  readonly echoPayloadBytes: number;
  /** `etcd --version`'s first line and the member count; undefined: etcd did not run. */
  readonly etcd: { readonly version: string; readonly members: number } | undefined;
}

export interface BenchReport {
  readonly setup: BenchSetup;
  readonly rows: readonly ReportRow[];
  readonly targets: readonly TargetCheck[];
  /** What did not run, and why (etcd missing, say). */
  readonly notes: readonly string[];
}

/** The baselines of one pass and client count; one not run makes its ratios NaN, printed '-'. */
export interface Baselines {
  readonly echo: LoadResult | undefined;
  readonly etcd: LoadResult | undefined;
}

export function reportRow(
  result: LoadResult,
  cpuCores: CpuCores,
  { echo, etcd }: Baselines,
  sync: SyncPolicy,
  requestsPerBatch?: number,
): ReportRow {
  const versusEtcd = result.workload === 'write' && etcd !== undefined;
  return {
    ...result,
    cpuCores,
    requestsPerBatch,
    sync,
    throughputRatio: echo ? result.operationsPerSecond / echo.operationsPerSecond : NaN,
    p99Ratio: echo ? result.p99Ms / echo.p99Ms : NaN,
    etcdThroughputRatio: versusEtcd ? result.operationsPerSecond / etcd.operationsPerSecond : NaN,
    etcdP50Ratio: versusEtcd ? result.p50Ms / etcd.p50Ms : NaN,
    etcdP99Ratio: versusEtcd ? result.p99Ms / etcd.p99Ms : NaN,
  };
}

export function ratio(value: number): string {
  return Number.isNaN(value) ? '-' : value.toFixed(2);
}

export function cores(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : value.toFixed(2);
}

export function targetChecks(rows: readonly ReportRow[]): TargetCheck[] {
  const writes = rows.filter((row) => row.workload === 'write');
  const versusEcho = writes
    .filter((row) => !Number.isNaN(row.throughputRatio))
    .map((row) => ({
      baseline: 'echo' as const,
      sync: row.sync,
      clients: row.clients,
      throughputRatio: row.throughputRatio,
      p99Ratio: row.p99Ratio,
      met:
        row.throughputRatio >= WRITE_THROUGHPUT_RATIO_TARGET &&
        row.p99Ratio <= WRITE_P99_RATIO_TARGET,
    }));
  const versusEtcd = writes
    .filter((row) => row.sync === ETCD_COMPARABLE_SYNC && !Number.isNaN(row.etcdThroughputRatio))
    .map((row) => ({
      baseline: 'etcd' as const,
      sync: row.sync,
      clients: row.clients,
      throughputRatio: row.etcdThroughputRatio,
      p99Ratio: row.etcdP99Ratio,
      met:
        row.etcdThroughputRatio >= ETCD_THROUGHPUT_RATIO_TARGET &&
        row.etcdP99Ratio <= ETCD_P99_RATIO_TARGET,
    }));
  return [...versusEcho, ...versusEtcd];
}

const COLUMNS: readonly { title: string; cell: (row: ReportRow) => string }[] = [
  { title: 'sync', cell: (row) => row.sync },
  { title: 'workload', cell: (row) => row.workload },
  { title: 'clients', cell: (row) => String(row.clients) },
  { title: 'ops/s', cell: (row) => row.operationsPerSecond.toFixed(0) },
  { title: 'p50 ms', cell: (row) => row.p50Ms.toFixed(2) },
  { title: 'p99 ms', cell: (row) => row.p99Ms.toFixed(2) },
  { title: 'ops/echo', cell: (row) => ratio(row.throughputRatio) },
  { title: 'p99/echo', cell: (row) => ratio(row.p99Ratio) },
  { title: 'ops/etcd', cell: (row) => ratio(row.etcdThroughputRatio) },
  { title: 'p50/etcd', cell: (row) => ratio(row.etcdP50Ratio) },
  { title: 'p99/etcd', cell: (row) => ratio(row.etcdP99Ratio) },
  { title: 'errors', cell: (row) => String(row.errors) },
  { title: 'cpu server', cell: (row) => cores(row.cpuCores.server) },
  { title: 'cpu nodes', cell: (row) => cores(row.cpuCores.storageNodes) },
  { title: 'cpu loadgen', cell: (row) => cores(row.cpuCores.loadGenerator) },
  { title: 'cpu us/op', cell: (row) => cpuPerOperation(row) },
  { title: 'reqs/batch', cell: (row) => row.requestsPerBatch?.toFixed(1) ?? '-' },
];

/** CPU time of every measured process per successful call: what a call costs the machine,
 * which unlike ops/s hardly depends on what else the machine is running. */
function cpuPerOperation(row: ReportRow): string {
  const groups = [row.cpuCores.server, row.cpuCores.storageNodes, row.cpuCores.loadGenerator];
  if (groups.some((value) => value === null) || row.operationsPerSecond === 0) return '-';
  const totalCores = groups.reduce<number>((sum, value) => sum + (value ?? 0), 0);
  return ((totalCores / row.operationsPerSecond) * 1_000_000).toFixed(0);
}
const LEFT_ALIGNED = new Set(['sync', 'workload']);

/** `rows` as aligned text columns under `columns`' titles. */
export function alignedTable<Row>(
  columns: readonly { title: string; cell: (row: Row) => string }[],
  rows: readonly Row[],
  leftAligned: ReadonlySet<string>,
): string[] {
  const cells = rows.map((row) => columns.map((column) => column.cell(row)));
  const widths = columns.map((column, index) =>
    Math.max(column.title.length, ...cells.map((line) => line[index]!.length)),
  );
  const line = (values: readonly string[]) =>
    values
      .map((value, index) =>
        leftAligned.has(columns[index]!.title)
          ? value.padEnd(widths[index]!)
          : value.padStart(widths[index]!),
      )
      .join('  ');
  return [line(columns.map((column) => column.title)), ...cells.map(line)];
}

function setupLines(setup: BenchSetup): string[] {
  const etcd = setup.etcd
    ? `; etcd-put: ${setup.etcd.members}-member etcd (${setup.etcd.version}), default ` +
      'settings (WAL fsync on), calls round robin over the members'
    : '';
  return [
    `PairDB coordinator benchmark: ${setup.storageNodes} storage nodes, RF ` +
      `${setup.replicationFactor}, ${setup.consistency.toUpperCase()}, ${setup.keyBytes}-byte ` +
      `keys, ${setup.valueBytes}-byte values; echo payload ${setup.echoPayloadBytes} bytes${etcd}`,
    ...conditionLines(setup),
  ];
}

function targetLines(targets: readonly TargetCheck[]): string[] {
  const checks = (baseline: TargetCheck['baseline']) => {
    const lines = targets
      .filter((check) => check.baseline === baseline)
      .map(
        (check) =>
          `    sync=${check.sync} ${check.clients} clients: ${ratio(check.throughputRatio)}, ` +
          `${ratio(check.p99Ratio)} -> ${check.met ? 'met' : 'not met'}`,
      );
    return lines.length > 0 ? lines : ['    not measured'];
  };
  return [
    'targets (printed, not asserted):',
    '  write vs echo (docs/architecture.md#performance-design): ' +
      `ops/echo >= ${WRITE_THROUGHPUT_RATIO_TARGET.toFixed(2)} and ` +
      `p99/echo <= ${WRITE_P99_RATIO_TARGET.toFixed(2)}`,
    ...checks('echo'),
    `  write vs etcd, sync=${ETCD_COMPARABLE_SYNC} (docs/benchmarks.md` +
      '#coordinator-vs-a-bare-grpc-echo-and-etcd): ' +
      `ops/etcd >= ${ETCD_THROUGHPUT_RATIO_TARGET.toFixed(2)} and ` +
      `p99/etcd <= ${ETCD_P99_RATIO_TARGET.toFixed(2)}`,
    ...checks('etcd'),
  ];
}

export function formatTable(report: BenchReport): string {
  const lines = [
    ...setupLines(report.setup),
    '',
    ...alignedTable(COLUMNS, report.rows, LEFT_ALIGNED),
    'cpu: cores used in the window by the server (echo server or coordinator), the storage ' +
      'nodes together (etcd-put: the etcd members), and the load generator; us/op: their CPU ' +
      'time per call; reqs/batch: requests per Exchange batch message from coordinator to node',
    '',
    ...targetLines(report.targets),
  ];
  for (const row of report.rows.filter((r) => r.errors > 0)) {
    lines.push(`errors in ${row.workload}/${row.clients} (sync=${row.sync}): ${row.firstError}`);
  }
  lines.push(...report.notes);
  return lines.join('\n');
}
