// The benchmark's output: every run beside the echo run of the same pass and client count, as a
// table or one JSON object. The targets of docs/architecture.md#performance-design are printed
// with the figures, never asserted.
import type { SyncPolicy } from './cluster';
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

/** CPU cores used during the measured window by the server (the echo server or the
 * coordinator), all storage nodes together, and the load generator; null where unknown. */
export interface CpuCores {
  readonly server?: number | null;
  readonly storageNodes?: number | null;
  readonly loadGenerator?: number | null;
}

export interface ReportRow extends LoadResult {
  readonly cpuCores: CpuCores;
  /** The storage sync policy of the cluster measured in this pass (echo rows: same pass). */
  readonly sync: SyncPolicy;
  /** ops/s divided by the echo ops/s of the same pass and client count. */
  readonly throughputRatio: number;
  /** p99 divided by the echo p99 of the same pass and client count. */
  readonly p99Ratio: number;
}

export interface TargetCheck {
  readonly sync: SyncPolicy;
  readonly clients: number;
  readonly throughputRatio: number;
  readonly p99Ratio: number;
  readonly met: boolean;
}

export interface BenchSetup {
  readonly storageNodes: number;
  readonly replicationFactor: number;
  readonly consistency: string;
  readonly keyBytes: number;
  readonly valueBytes: number;
  readonly echoPayloadBytes: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly cpus: number;
  readonly nodeVersion: string;
  /** 1-minute load average before the first run: other work on the machine skews every row. */
  readonly loadAverageAtStart: number;
  /** 1-minute load average after the last run (the benchmark's own processes included). */
  readonly loadAverageAtEnd: number;
}

export interface BenchReport {
  readonly setup: BenchSetup;
  readonly rows: readonly ReportRow[];
  readonly targets: readonly TargetCheck[];
}

/** `echo` undefined (not run): the ratios are NaN, printed as '-'. */
export function reportRow(
  result: LoadResult,
  cpuCores: CpuCores,
  echo: LoadResult | undefined,
  sync: SyncPolicy,
): ReportRow {
  return {
    ...result,
    cpuCores,
    sync,
    throughputRatio: echo ? result.operationsPerSecond / echo.operationsPerSecond : NaN,
    p99Ratio: echo ? result.p99Ms / echo.p99Ms : NaN,
  };
}

function ratio(value: number): string {
  return Number.isNaN(value) ? '-' : value.toFixed(2);
}

function cores(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : value.toFixed(2);
}

export function targetChecks(rows: readonly ReportRow[]): TargetCheck[] {
  return rows
    .filter((row) => row.workload === 'write' && !Number.isNaN(row.throughputRatio))
    .map((row) => ({
      sync: row.sync,
      clients: row.clients,
      throughputRatio: row.throughputRatio,
      p99Ratio: row.p99Ratio,
      met:
        row.throughputRatio >= WRITE_THROUGHPUT_RATIO_TARGET &&
        row.p99Ratio <= WRITE_P99_RATIO_TARGET,
    }));
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
  { title: 'errors', cell: (row) => String(row.errors) },
  { title: 'cpu server', cell: (row) => cores(row.cpuCores.server) },
  { title: 'cpu nodes', cell: (row) => cores(row.cpuCores.storageNodes) },
  { title: 'cpu loadgen', cell: (row) => cores(row.cpuCores.loadGenerator) },
  { title: 'cpu us/op', cell: (row) => cpuPerOperation(row) },
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

export function formatTable(report: BenchReport): string {
  const { setup } = report;
  const cells = report.rows.map((row) => COLUMNS.map((column) => column.cell(row)));
  const widths = COLUMNS.map((column, index) =>
    Math.max(column.title.length, ...cells.map((line) => line[index]!.length)),
  );
  const line = (values: readonly string[]) =>
    values
      .map((value, index) =>
        LEFT_ALIGNED.has(COLUMNS[index]!.title)
          ? value.padEnd(widths[index]!)
          : value.padStart(widths[index]!),
      )
      .join('  ');
  const lines = [
    `PairDB coordinator benchmark: ${setup.storageNodes} storage nodes, RF ` +
      `${setup.replicationFactor}, ${setup.consistency.toUpperCase()}, ${setup.keyBytes}-byte ` +
      `keys, ${setup.valueBytes}-byte values; echo payload ${setup.echoPayloadBytes} bytes`,
    `${setup.cpus} CPUs, node ${setup.nodeVersion}, load average ` +
      `${setup.loadAverageAtStart.toFixed(2)} at start, ${setup.loadAverageAtEnd.toFixed(2)} ` +
      `at end; ${setup.warmupMs / 1_000} s warm-up, ${setup.durationMs / 1_000} s measured per row`,
    '',
    line(COLUMNS.map((column) => column.title)),
    ...cells.map(line),
    'cpu: cores used in the window by the server (echo server or coordinator), the three ' +
      'storage nodes together, and the load generator; us/op: their CPU time per call',
    '',
    'target (docs/architecture.md#performance-design): ' +
      `write ops/echo >= ${WRITE_THROUGHPUT_RATIO_TARGET.toFixed(2)} and ` +
      `p99/echo <= ${WRITE_P99_RATIO_TARGET.toFixed(2)}`,
    ...report.targets.map(
      (check) =>
        `  sync=${check.sync} ${check.clients} clients: ${ratio(check.throughputRatio)}, ` +
        `${ratio(check.p99Ratio)} -> ${check.met ? 'met' : 'not met'}`,
    ),
  ];
  const failing = report.rows.filter((row) => row.errors > 0);
  for (const row of failing) {
    lines.push(`errors in ${row.workload}/${row.clients} (sync=${row.sync}): ${row.firstError}`);
  }
  return lines.join('\n');
}
