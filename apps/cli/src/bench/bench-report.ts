// The benchmark's final report: a table per phase (throughput and p50/p95/p99/max latency per
// operation), or the same figures as JSON for machines.
import { renderTable } from '../output/table';
import { formatMs } from '../output/units';
import type { BenchSettings, PhaseResult, WorkloadResult } from './bench-runner';
import type { OperationSummary } from './operation-stats';
import { describeMix, WORKLOADS } from './workloads';

export interface BenchReport {
  readonly address: string;
  readonly settings: BenchSettings;
  readonly load?: PhaseResult;
  readonly runs: readonly WorkloadResult[];
}

export function renderReport(report: BenchReport): string {
  const s = report.settings;
  const sections = [
    `pairdb bench against ${report.address}: tenant ${s.tenant}, ${s.clients} clients, ` +
      `consistency ${s.consistency}, ${s.valueSize}-byte values, ${s.records} records`,
  ];
  if (report.load) {
    sections.push(
      `${phaseLine('load', s.records, report.load)}\n${operationTable(report.load.operations)}`,
    );
  }
  for (const run of report.runs) {
    const title = `workload ${run.workload} (${describeMix(WORKLOADS[run.workload]!, run.distribution)})`;
    if (!run.supported) {
      sections.push(`${title}: not supported: ${run.unsupportedReason}`);
      continue;
    }
    const phase = run as WorkloadResult & PhaseResult;
    sections.push(`${phaseLine(title, s.operations, phase)}\n${operationTable(phase.operations)}`);
  }
  return `${sections.join('\n\n')}\n`;
}

function phaseLine(title: string, operations: number, phase: PhaseResult): string {
  return (
    `${title}: ${operations} operations in ${(phase.durationMs / 1000).toFixed(1)} s, ` +
    `${Math.round(phase.throughput)} ops/s`
  );
}

function operationTable(operations: Record<string, OperationSummary>): string {
  const rows = Object.entries(operations).map(([name, summary]) => ({ name, ...summary }));
  const table = renderTable(rows, [
    { header: 'OPERATION', value: (r) => r.name },
    { header: 'COUNT', value: (r) => String(r.count), right: true },
    { header: 'ERRORS', value: (r) => String(r.errors), right: true },
    { header: 'OPS/S', value: (r) => String(Math.round(r.throughput)), right: true },
    { header: 'P50 MS', value: (r) => formatMs(r.latencyMs.p50), right: true },
    { header: 'P95 MS', value: (r) => formatMs(r.latencyMs.p95), right: true },
    { header: 'P99 MS', value: (r) => formatMs(r.latencyMs.p99), right: true },
    { header: 'MAX MS', value: (r) => formatMs(r.latencyMs.max), right: true },
  ]);
  const errors = rows
    .filter((r) => r.errors > 0)
    .map(
      (r) =>
        `  ${r.name} failed: ` +
        Object.entries(r.errorsByCode)
          .map(([code, count]) => `${code} x${count}`)
          .join(', '),
    );
  return [table, ...errors].join('\n');
}
