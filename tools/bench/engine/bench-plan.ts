/**
 * What each child process runs, and what it reports back. Every engine runs each group in a
 * process of its own on a fresh directory, so peak memory is measured per engine and group and
 * no workload inherits another's background work.
 */
import { EngineName } from './bench-store';
import { WorkloadResult } from './workloads';

/** One child process each: a fill on a fresh directory, followed by reads for `fillrandom`. */
export const GROUPS = ['fillseq', 'fillrandom', 'fillbatch', 'fillsync'] as const;
export type GroupName = (typeof GROUPS)[number];

export const WORKLOADS = [
  'fillseq',
  'fillrandom',
  'fillbatch',
  'readrandom-1',
  'readrandom-64',
  'readmissing',
  'seekscan',
  'fillsync',
] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export const DEFAULT_ENTRIES = 1_000_000;
/** Reads with one get in flight: classic-level does ~20-60k/s, so 1M would take near a minute. */
const READS_ONE_IN_FLIGHT_MAX = 200_000;
/** Reads of readrandom-64 and readmissing: enough to leave the cache's warm-up behind. */
const READS_IN_FLIGHT_MAX = 500_000;
/** Seeks of seekscan (each reads up to 100 keys, so up to 1M keys). */
const SEEKS_MAX = 10_000;
/** Durable puts of fillsync: fsync-bound, so fewer keep the run within minutes. */
const SYNC_WRITES_MAX = 20_000;

export const SEEDS = { values: 1, fillOrder: 2, readrandom: 3, readmissing: 4, seekscan: 5 };

export interface WorkloadSizes {
  /** Entries written by each fill (and present for the reads). */
  entries: number;
  readsOneInFlight: number;
  /** Reads of readrandom-64 and readmissing. */
  readsInFlight: number;
  seeks: number;
  syncWrites: number;
}

export function workloadSizes(entries: number): WorkloadSizes {
  return {
    entries,
    readsOneInFlight: Math.min(entries, READS_ONE_IN_FLIGHT_MAX),
    readsInFlight: Math.min(entries, READS_IN_FLIGHT_MAX),
    seeks: Math.min(Math.ceil(entries / 100), SEEKS_MAX),
    syncWrites: Math.min(entries, SYNC_WRITES_MAX),
  };
}

export interface ChildPlan {
  engine: EngineName;
  group: GroupName;
  dir: string;
  sizes: WorkloadSizes;
}

/** Measured after the fill of the `fillrandom` group, once background writing has stopped. */
export interface FillFootprint {
  /** Peak resident memory of the process up to the end of the fill. */
  peakRssBytes: number;
  /** Key and value bytes written. */
  userBytes: number;
  /** Bytes the process passed to write() from the fill's start (Linux only). */
  writeSyscallBytes?: number;
  /** Bytes the engine counts as written (PairDB's stats). */
  engineBytesWritten?: number;
  bytesOnDisk: number;
  settleSeconds: number;
}

export interface ChildReport {
  engine: EngineName;
  group: GroupName;
  settings: string;
  workloads: Partial<Record<WorkloadName, WorkloadResult>>;
  peakRssBytes: number;
  fill?: FillFootprint;
}
