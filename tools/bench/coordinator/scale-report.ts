// The scale figures' output: QUORUM write throughput per cluster shape, beside the 1
// coordinator, 3 node shape at the same client count, as a table or one JSON object. Printed,
// never asserted.
import type { SyncPolicy } from './cluster';
import {
  alignedTable,
  conditionLines,
  cores,
  ratio,
  type CpuCores,
  type RunConditions,
} from './report';
import type { LoadResult } from './workload';

export interface ClusterShape {
  readonly coordinators: number;
  readonly storageNodes: number;
}

/** The shape every other one is compared with: the comparison benchmark's cluster. */
export const BASE_SHAPE: ClusterShape = { coordinators: 1, storageNodes: 3 };

export interface ScaleRow extends LoadResult, ClusterShape {
  readonly cpuCores: CpuCores;
  /** ops/s divided by the BASE_SHAPE ops/s at the same client count; NaN if that did not run. */
  readonly baseRatio: number;
}

export interface ScaleSetup extends RunConditions {
  readonly sync: SyncPolicy;
  readonly replicationFactor: number;
  readonly keyBytes: number;
  readonly valueBytes: number;
  /** Where the coordinators keep their metadata. */
  readonly metadata: 'PostgreSQL' | 'PGlite';
}

export interface ScaleReport {
  readonly setup: ScaleSetup;
  readonly rows: readonly ScaleRow[];
  /** Shapes skipped, and why. */
  readonly notes: readonly string[];
}

/** `runs` with the ratio of each to the BASE_SHAPE run at the same client count. */
export function scaleRows(runs: readonly Omit<ScaleRow, 'baseRatio'>[]): ScaleRow[] {
  return runs.map((run) => {
    const base = runs.find(
      (other) =>
        other.coordinators === BASE_SHAPE.coordinators &&
        other.storageNodes === BASE_SHAPE.storageNodes &&
        other.clients === run.clients,
    );
    return { ...run, baseRatio: base ? run.operationsPerSecond / base.operationsPerSecond : NaN };
  });
}

const COLUMNS: readonly { title: string; cell: (row: ScaleRow) => string }[] = [
  { title: 'coordinators', cell: (row) => String(row.coordinators) },
  { title: 'nodes', cell: (row) => String(row.storageNodes) },
  { title: 'clients', cell: (row) => String(row.clients) },
  { title: 'ops/s', cell: (row) => row.operationsPerSecond.toFixed(0) },
  { title: 'p50 ms', cell: (row) => row.p50Ms.toFixed(2) },
  { title: 'p99 ms', cell: (row) => row.p99Ms.toFixed(2) },
  {
    title: `ops/${BASE_SHAPE.coordinators}x${BASE_SHAPE.storageNodes}`,
    cell: (row) => ratio(row.baseRatio),
  },
  { title: 'errors', cell: (row) => String(row.errors) },
  { title: 'cpu coordinators', cell: (row) => cores(row.cpuCores.server) },
  { title: 'cpu nodes', cell: (row) => cores(row.cpuCores.storageNodes) },
  { title: 'cpu loadgen', cell: (row) => cores(row.cpuCores.loadGenerator) },
];

export function formatScaleTable(report: ScaleReport): string {
  const { setup } = report;
  const lines = [
    `PairDB scale figures: QUORUM writes, RF ${setup.replicationFactor}, ` +
      `${setup.keyBytes}-byte keys, ${setup.valueBytes}-byte values, sync=${setup.sync}, ` +
      `metadata in ${setup.metadata}; calls round robin over the coordinators`,
    ...conditionLines(setup),
    '',
    ...alignedTable(COLUMNS, report.rows, new Set()),
    "every process shares this machine's cores: more processes add capacity only where cores " +
      'were idle',
  ];
  for (const row of report.rows.filter((r) => r.errors > 0)) {
    lines.push(
      `errors with ${row.coordinators} coordinators, ${row.storageNodes} nodes, ` +
        `${row.clients} clients: ${row.firstError}`,
    );
  }
  lines.push(...report.notes);
  return lines.join('\n');
}
