/**
 * Turns the child reports into the printed table or the --json object. Ratios are PairDB's
 * throughput over classic-level's in the same run; targets come from the benchmark's issue.
 */
import { ENGINE_DEFAULTS } from '../../../apps/storage-node/src/engine';
import { CACHE_BYTES, EngineName, MiB } from './bench-store';
import { ChildReport, FillFootprint, WORKLOADS, WorkloadName, WorkloadSizes } from './bench-plan';
import {
  FILL_BATCH_SIZE,
  FILL_SYNC_WRITERS,
  READ_IN_FLIGHT,
  SCAN_KEYS_PER_SEEK,
} from './workloads';

/** Minimum PairDB / classic-level throughput ratio per workload (none for the others). */
const TARGET_RATIOS: Partial<Record<WorkloadName, number>> = {
  fillrandom: 3,
  fillbatch: 1,
  'readrandom-1': 3,
  'readrandom-64': 1,
  seekscan: 1,
  fillsync: 1,
};
/** Peak RSS during fillrandom must stay under memtable limit + cache + this much. */
const RSS_HEADROOM_BYTES = 128 * MiB;
export const FILL_RANDOM_RSS_TARGET_BYTES =
  ENGINE_DEFAULTS.memtableBytesMax + CACHE_BYTES + RSS_HEADROOM_BYTES;

export interface WorkloadComparison {
  pairdb: number;
  reference: number;
  ratio: number;
}

export interface EngineFootprint {
  /** Peak RSS over every group of this engine. */
  peakRssBytes: number;
  fillrandomPeakRssBytes: number;
  bytesOnDisk: number;
  /** Bytes passed to write() / user bytes, through fillrandom and its background work. */
  writeAmplification?: number;
  /** Bytes the engine counts as written / user bytes (PairDB only). */
  engineWriteAmplification?: number;
}

export interface BenchSummary {
  entries: number;
  workloads: Partial<Record<WorkloadName, WorkloadComparison>>;
  /** PairDB's peak RSS over the whole run. */
  peakRssBytes: number;
  footprint: Record<EngineName, EngineFootprint>;
}

export function summarize(reports: readonly ChildReport[], entries: number): BenchSummary {
  const workloads: Partial<Record<WorkloadName, WorkloadComparison>> = {};
  for (const name of WORKLOADS) {
    const pairdb = opsPerSecond(reports, 'pairdb', name);
    const reference = opsPerSecond(reports, 'reference', name);
    if (pairdb === undefined || reference === undefined) continue;
    workloads[name] = {
      pairdb: Math.round(pairdb),
      reference: Math.round(reference),
      ratio: Math.round((pairdb / reference) * 1000) / 1000,
    };
  }
  const footprint = {
    pairdb: engineFootprint(reports, 'pairdb'),
    reference: engineFootprint(reports, 'reference'),
  };
  return { entries, workloads, peakRssBytes: footprint.pairdb.peakRssBytes, footprint };
}

function opsPerSecond(
  reports: readonly ChildReport[],
  engine: EngineName,
  name: WorkloadName,
): number | undefined {
  for (const report of reports) {
    const result = report.engine === engine ? report.workloads[name] : undefined;
    if (result) return result.ops / result.seconds;
  }
  return undefined;
}

function engineFootprint(reports: readonly ChildReport[], engine: EngineName): EngineFootprint {
  const own = reports.filter((report) => report.engine === engine);
  const fill: FillFootprint | undefined = own.find((report) => report.fill)?.fill;
  const ratio = (bytes: number | undefined): number | undefined =>
    bytes === undefined || !fill ? undefined : Math.round((bytes / fill.userBytes) * 100) / 100;
  const writeAmplification = ratio(fill?.writeSyscallBytes);
  const engineWriteAmplification = ratio(fill?.engineBytesWritten);
  return {
    peakRssBytes: Math.max(0, ...own.map((report) => report.peakRssBytes)),
    fillrandomPeakRssBytes: fill?.peakRssBytes ?? 0,
    bytesOnDisk: fill?.bytesOnDisk ?? 0,
    ...(writeAmplification !== undefined ? { writeAmplification } : {}),
    ...(engineWriteAmplification !== undefined ? { engineWriteAmplification } : {}),
  };
}

const WORKLOAD_NOTES: Record<WorkloadName, (sizes: WorkloadSizes) => string> = {
  fillseq: () => 'ascending keys, 1 awaited put at a time',
  fillrandom: () => 'random order, 1 awaited put at a time',
  fillbatch: () => `ascending keys, ${FILL_BATCH_SIZE} per batch`,
  'readrandom-1': () => '1 get in flight (PairDB: await of its synchronous value)',
  'readrandom-64': () => `${READ_IN_FLIGHT} gets in flight`,
  readmissing: () => `absent keys between present ones, ${READ_IN_FLIGHT} in flight`,
  seekscan: (sizes) => `${sizes.seeks} seeks x ${SCAN_KEYS_PER_SEEK} keys; rate in keys/s`,
  fillsync: () => `fsync per ack, ${FILL_SYNC_WRITERS} concurrent writers, fresh db`,
};

function operationCount(name: WorkloadName, sizes: WorkloadSizes): number {
  switch (name) {
    case 'readrandom-1':
      return sizes.readsOneInFlight;
    case 'readrandom-64':
    case 'readmissing':
      return sizes.readsInFlight;
    case 'seekscan':
      return sizes.seeks * SCAN_KEYS_PER_SEEK;
    case 'fillsync':
      return sizes.syncWrites;
    default:
      return sizes.entries;
  }
}

export function formatReport(
  summary: BenchSummary,
  reports: readonly ChildReport[],
  sizes: WorkloadSizes,
  run: { totalSeconds: number; machine: string },
): string {
  const header = ['workload', 'ops', 'PairDB ops/s', 'classic-level', 'ratio', 'target', 'note'];
  const rows = WORKLOADS.flatMap((name) => {
    const row = summary.workloads[name];
    if (!row) return [];
    const target = TARGET_RATIOS[name];
    // Judged on the throughputs, not the rounded ratio: 0.9999x printed as 1.00x is a miss.
    const verdict =
      target === undefined
        ? '-'
        : `${target}x ${row.pairdb >= target * row.reference ? 'met' : 'MISSED'}`;
    return [
      [
        name,
        count(operationCount(name, sizes)),
        count(row.pairdb),
        count(row.reference),
        `${row.ratio.toFixed(2)}x`,
        verdict,
        WORKLOAD_NOTES[name](sizes),
      ],
    ];
  });
  const { pairdb, reference } = summary.footprint;
  const fill = reports.find((report) => report.engine === 'pairdb' && report.fill)?.fill;
  const settings = (engine: EngineName): string =>
    reports.find((report) => report.engine === engine && report.group === 'fillrandom')?.settings ??
    '?';
  const rssVerdict =
    pairdb.fillrandomPeakRssBytes < FILL_RANDOM_RSS_TARGET_BYTES ? 'met' : 'MISSED';
  return [
    `PairDB engine vs classic-level (LevelDB): ${count(sizes.entries)} entries, ` +
      `16-byte keys, 100-byte values, ${run.totalSeconds.toFixed(0)} s in all`,
    `  machine:       ${run.machine}`,
    `  PairDB:        ${settings('pairdb')}`,
    `  classic-level: ${settings('reference')}`,
    '',
    table(header, rows),
    '',
    `After fillrandom (background writes waited for, ${fill?.settleSeconds.toFixed(1) ?? '?'} s for PairDB):`,
    `  bytes on disk        PairDB ${mebibytes(pairdb.bytesOnDisk)}, ` +
      `classic-level ${mebibytes(reference.bytesOnDisk)} ` +
      `(user data ${mebibytes(fill?.userBytes ?? 0)})`,
    `  write amplification  PairDB ${amplification(pairdb.engineWriteAmplification)} (engine stats), ` +
      `${amplification(pairdb.writeAmplification)} (write() bytes); ` +
      `classic-level ${amplification(reference.writeAmplification)} (write() bytes)`,
    `  peak RSS             PairDB ${mebibytes(pairdb.fillrandomPeakRssBytes)} ` +
      `(target < ${mebibytes(FILL_RANDOM_RSS_TARGET_BYTES)}: ${rssVerdict}), ` +
      `classic-level ${mebibytes(reference.fillrandomPeakRssBytes)}`,
    `Peak RSS over all workloads: PairDB ${mebibytes(pairdb.peakRssBytes)}, ` +
      `classic-level ${mebibytes(reference.peakRssBytes)}`,
  ].join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const numeric = (column: number): boolean => column >= 1 && column <= 4;
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) =>
        numeric(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function mebibytes(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

function amplification(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${value.toFixed(2)}x`;
}
