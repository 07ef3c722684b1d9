/**
 * What a workload needs from an engine. Each engine under test gets one adapter, opened on a
 * fresh directory, with the same cache size and the same durability per workload.
 */
export type EngineName = 'pairdb' | 'reference';

export const MiB = 1024 * 1024;
/** Block cache of both engines (PairDB's default; classic-level's `cacheSize` set to match). */
export const CACHE_BYTES = 32 * MiB;

export interface StoreOptions {
  dir: string;
  /** true: every write is fsynced before it resolves (PairDB `always`, LevelDB `sync: true`);
   * false: written to the OS only (PairDB `none`, LevelDB's default). */
  durable: boolean;
}

export interface BenchStore {
  put(key: Buffer, value: Buffer): Promise<void>;
  /** Puts `keys[i] -> values[i]` atomically. */
  batch(keys: Buffer[], values: Buffer[]): Promise<void>;
  /** PairDB answers synchronously; callers await the result either way. */
  get(key: Buffer): Buffer | undefined | Promise<Buffer | undefined>;
  /** Reads up to `limit` pairs from `gte` on; returns how many it read. */
  scan(gte: Buffer, limit: number): number | Promise<number>;
  /** Bytes the engine counts as written to disk, where it keeps such a count. */
  engineBytesWritten(): number | undefined;
  /** The engine's own settings worth printing beside the figures. */
  describe(): string;
  close(): Promise<void>;
}
