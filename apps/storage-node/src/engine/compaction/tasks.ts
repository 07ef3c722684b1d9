/**
 * Messages between the engine (main thread) and its background worker. A frozen memtable
 * travels as its shared memory (memtable.ts, MemtableImage): nothing is copied.
 */
import { CorruptionError, EngineError } from '../errors';
import type { MemtableImage } from '../memtable';
import type { KeyRange } from './retention';

export interface RetentionParams {
  snapshots: number[];
  nowMs: number;
  tombstoneGraceMs: number;
  /** True: keep every tombstone, whatever its age. */
  tombstonesHeld: boolean;
  olderRanges: KeyRange[][];
}

export interface TableOptions {
  blockBytes?: number;
  bloomBitsPerKey?: number;
}

/** Write one L0 SSTable from a frozen memtable. */
export interface FlushTask {
  kind: 'flush';
  /** The frozen memtable (shared memory; the engine adds nothing to it any more). */
  memtable: MemtableImage;
  path: string;
  fileNumber: number;
  retention: RetentionParams;
  table: TableOptions;
}

/** Merge SSTables into new ones. */
export interface CompactionTask {
  kind: 'compaction';
  /** Newest first: for equal key and seq the earlier input wins (never happens in practice). */
  inputs: { path: string; fileNumber: number }[];
  /** Output file paths and numbers, used in order; the last one takes whatever remains. */
  outputs: { path: string; fileNumber: number }[];
  targetFileBytes: number;
  retention: RetentionParams;
  table: TableOptions;
}

export type BackgroundTask = FlushTask | CompactionTask;

export interface OutputTable {
  fileNumber: number;
  path: string;
  bytes: number;
  entryCount: number;
  smallestKey: Uint8Array;
  largestKey: Uint8Array;
  minSeq: number;
  maxSeq: number;
  tombstoneCount: number;
}

export interface TaskResult {
  outputs: OutputTable[];
  bytesRead: number;
  bytesWritten: number;
  entriesRead: number;
  entriesWritten: number;
}

/** A worker-side error, carried across the thread boundary by value. */
export interface TaskFailure {
  name: string;
  message: string;
  file?: string;
  offset?: number;
}

export type WorkerReply = { ok: true; result: TaskResult } | { ok: false; failure: TaskFailure };

export function describeFailure(error: unknown): TaskFailure {
  if (error instanceof CorruptionError) {
    return { name: error.name, message: error.message, file: error.file, offset: error.offset };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Rebuilds the named error on the main thread (CorruptionError keeps file and offset). */
export function reviveFailure(failure: TaskFailure): Error {
  if (failure.name === 'CorruptionError' && failure.file !== undefined) {
    const error = new CorruptionError('', failure.file, failure.offset ?? 0);
    error.message = failure.message;
    return error;
  }
  const error = new EngineError(failure.message);
  error.name = failure.name;
  return error;
}

/** Wraps bytes that crossed a thread boundary (structured clone yields plain Uint8Array). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
