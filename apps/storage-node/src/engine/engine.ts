/**
 * The storage engine: an ordered byte-key store with sequence numbers and tombstones, built as an
 * LSM tree (docs/architecture.md#the-storage-engine). Writes go to the commit log and the memtable;
 * full memtables are flushed to L0 SSTables and the levels are compacted by a background worker
 * thread, so the event loop only appends, inserts and reads.
 *
 * Laws:
 * - a write whose promise resolved survives a crash (under syncPolicy `always`), and a batch is
 *   applied whole or not at all;
 * - get() returns the value of the newest write to a key (visible as soon as write() returns,
 *   possibly before it is durable), or undefined after a delete;
 * - an iterator returns exactly the live pairs of its snapshot, in ascending key order, whatever
 *   flushes and compactions run meanwhile;
 * - a failed flush, compaction or commit-log write sticks: writes are refused with it until the
 *   engine is reopened; reads go on.
 */
import fs from 'node:fs';
import { BlockCache } from './block-cache';
import {
  CommitLog,
  RECORD_HEADER_BYTES,
  RECORD_PAYLOAD_BYTES_MAX,
  RecordType,
  frameRecord,
} from './commit-log';
import { BackgroundWorker } from './compaction/background-worker';
import {
  BOTTOM_LEVEL,
  CompactionPlan,
  keyRange,
  levelBytes,
  pickCompaction,
  planCompaction,
  targetFileBytes,
} from './compaction/leveled';
import { KeyRange, tombstoneValue } from './compaction/retention';
import { RetentionParams, TaskResult, asBuffer } from './compaction/tasks';
import { DirLock } from './dir-lock';
import { DiskGuard } from './disk-guard';
import { EngineIterator, scan } from './engine-iterator';
import { EngineOptions, EngineSettings, resolveOptions } from './engine-options';
import { Entry, EntryKind } from './entry';
import { BackgroundError, EngineClosedError, EngineError, InvalidArgumentError } from './errors';
import { tablePath } from './file-names';
import { LEVEL_COUNT, ManifestState, TableFile, writeManifest } from './manifest';
import { Memtable, MemtablePool } from './memtable';
import { recoverStore } from './recovery';
import { TableCache } from './table-cache';
import { LiveFile, Version, findFile } from './version';
import { BatchOperation, encodeWriteBatch, writeBatchBytes } from './write-batch';
import { WriteQueue } from './write-queue';

/** Keys are index entries and bloom inputs; beyond this they are a caller bug, not data. */
export const KEY_BYTES_MAX = 64 * 1024;
/** One value is read and cached whole; DVVSets with siblings stay far below this. */
export const VALUE_BYTES_MAX = 32 * 1024 * 1024;
/** Frozen memtables waiting for their flush before writes stop (each holds up to
 * memtableBytesMax of memory). */
export const IMMUTABLE_MEMTABLES_MAX = 2;
/** Delay of a write group while L0 is past the slowdown trigger. */
export const SLOWDOWN_DELAY_MS = 1;

export type BatchOp =
  | { type: 'put'; key: Buffer; value: Buffer }
  /**
   * `deletedAtMs` (default now) starts the tombstone's grace period: a caller that already
   * waited out a grace of its own (a DVVSet tombstone purged after repair) passes when that began.
   */
  | { type: 'delete'; key: Buffer; deletedAtMs?: number };

export interface Snapshot {
  readonly seq: number;
  release(): void;
}

export interface IterateRange {
  gte?: Buffer;
  gt?: Buffer;
  lt?: Buffer;
  snapshot?: Snapshot;
  limit?: number;
}

export interface LevelStats {
  level: number;
  files: number;
  bytes: number;
}

export interface EngineStats {
  levels: LevelStats[];
  /** Approximate heap bytes of the active and the frozen memtables. */
  memtableBytes: number;
  immutableMemtables: number;
  flushes: number;
  compactions: number;
  /** Input bytes of compactions (not counting trivial moves). */
  bytesCompacted: number;
  /** Bytes written to disk: commit log, flushed and compacted SSTables, manifests. */
  bytesWritten: number;
  /** Key and value bytes returned by get() and iterators. */
  bytesRead: number;
  cacheHits: number;
  cacheMisses: number;
  /** hits / (hits + misses); 0 before any lookup. */
  cacheHitRatio: number;
  cacheBytes: number;
  openFiles: number;
  commitLogFsyncs: number;
  fsyncSecondsTotal: number;
  /** Writes delayed (slowdown) or held (stop) because L0 or the memtables backed up. */
  writeStalls: number;
  /** Writes waiting in the write queue now, and their bytes. */
  queuedWrites: number;
  queuedWriteBytes: number;
  /** Writes refused because the write queue was full (WriteQueueFullError). */
  writesRefused: number;
  diskFreeBytes: number;
  lastSeq: number;
  liveSnapshots: number;
  backgroundError?: string;
}

interface ImmutableMemtable {
  memtable: Memtable;
  /** First commit-log segment not covered by this memtable. */
  logNumberAfter: number;
}

interface QueuedWrite {
  operations: BatchOperation[];
  /** Encoded size of the batch: what the queue holds in memory for it. */
  bytes: number;
  resolve(applied: AppliedWrite): void;
  reject(error: Error): void;
}

/** A write in the memtable; `durable` settles once it is durable per the sync policy. */
export interface AppliedWrite {
  readonly durable: Promise<void>;
}

type StallLevel = 'none' | 'slowdown' | 'stop';

interface BackgroundJob {
  what: 'flush' | 'compaction';
  run(): Promise<void>;
  /** A queued job that will never run (sticky error, close) is failed with this. */
  abandon?(error: Error): void;
}

export class Engine {
  private readonly dir: string;
  private readonly blockCache: BlockCache;
  private readonly tables: TableCache;
  private readonly diskGuard: DiskGuard;
  private readonly worker = BackgroundWorker.shared();
  private commitLog: CommitLog | undefined;
  private current: Version;
  /** Memory of flushed memtables, for the next ones (one memtable's worth). */
  private readonly memtablePool: MemtablePool;
  private mutable: Memtable;
  private readonly immutables: ImmutableMemtable[] = [];
  private lastSeq = 0;
  private nextFileNumber = 1;
  private logNumber = 0;
  private flushedSeq = 0;
  private readonly snapshots = new Map<number, number>();
  private readonly compactPointers: (Buffer | undefined)[] = [];
  private readonly writeQueue: WriteQueue<QueuedWrite>;
  private drainTimer: NodeJS.Timeout | undefined;
  private readonly manualJobs: BackgroundJob[] = [];
  private backgroundRunning = false;
  private progressWaiters: (() => void)[] = [];
  private stickyError: BackgroundError | undefined;
  private closing = false;
  private closed = false;
  private readonly counters = {
    flushes: 0,
    compactions: 0,
    bytesCompacted: 0,
    tableBytesWritten: 0,
    bytesRead: 0,
    writeStalls: 0,
    writesRefused: 0,
  };

  private constructor(
    private readonly settings: EngineSettings,
    private readonly lock: DirLock,
  ) {
    this.dir = settings.dir;
    this.blockCache = new BlockCache(settings.blockCacheBytes);
    this.tables = new TableCache(settings.maxOpenFiles, this.blockCache);
    this.diskGuard = new DiskGuard(
      this.dir,
      settings.diskFreeBytesMin,
      settings.diskFreeBytesSource,
    );
    this.current = new Version([], (file) => this.removeObsolete(file));
    this.current.ref();
    this.memtablePool = new MemtablePool(settings.memtableBytesMax);
    this.mutable = new Memtable(this.memtablePool);
    this.writeQueue = new WriteQueue(settings.writeQueueLengthMax, settings.writeQueueBytesMax);
  }

  /** Opens (creating if needed) and recovers the engine in `options.dir`. */
  static async open(options: EngineOptions): Promise<Engine> {
    const settings = resolveOptions(options);
    await fs.promises.mkdir(settings.dir, { recursive: true });
    const lock = DirLock.acquire(settings.dir);
    const engine = new Engine(settings, lock);
    try {
      await engine.recover();
    } catch (error) {
      await engine.abandon();
      throw error;
    }
    return engine;
  }

  /** The sticky background failure, if any: writes are refused until reopen. */
  get backgroundError(): Error | undefined {
    return this.stickyError;
  }

  put(key: Buffer, value: Buffer): Promise<void> {
    return this.write([{ type: 'put', key, value }]);
  }

  delete(key: Buffer): Promise<void> {
    return this.write([{ type: 'delete', key }]);
  }

  /**
   * Applies `ops` atomically (one commit-log record); resolves once durable per policy. While
   * the engine is stalled the write waits in a bounded queue, in order; when that queue is full
   * it is refused at once with WriteQueueFullError (nothing of it applied).
   */
  write(ops: BatchOp[]): Promise<void> {
    return this.writeApplied(ops).then((applied) => applied.durable);
  }

  /**
   * write() in two steps: resolves once `ops` are applied (visible to get and iterate), with
   * `durable`, which settles once they are durable per policy. A caller serializing writes to a
   * key can let the next one in at the first step instead of holding it across the fsync.
   * A rejection of the first step means nothing was applied unless it is the commit log's own
   * failure; a rejection of `durable` comes after the write was applied.
   */
  writeApplied(ops: BatchOp[]): Promise<AppliedWrite> {
    let batch: { operations: BatchOperation[]; bytes: number };
    try {
      this.checkWritable();
      batch = this.toOperations(ops);
    } catch (error) {
      return Promise.reject(error);
    }
    if (batch.operations.length === 0) return Promise.resolve({ durable: Promise.resolve() });
    if (this.writeQueue.length > 0 || this.stallLevel() !== 'none') {
      let settle: Pick<QueuedWrite, 'resolve' | 'reject'> | undefined;
      const queued = new Promise<AppliedWrite>((resolve, reject) => (settle = { resolve, reject }));
      try {
        this.writeQueue.push({ ...batch, ...settle! });
      } catch (error) {
        this.counters.writesRefused++;
        return Promise.reject(error);
      }
      this.counters.writeStalls++;
      this.scheduleDrain();
      return queued;
    }
    try {
      return Promise.resolve(this.applied(batch.operations));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The value of the newest write to `key`, or undefined if absent or deleted. The buffer may be
   * shared with the engine's block cache (when it comes from a file in no cache): read it, do
   * not modify it.
   */
  get(key: Buffer): Buffer | undefined {
    this.checkOpen();
    checkKey(key);
    const entry = this.newestEntry(key);
    if (!entry || entry.kind !== EntryKind.Put) return undefined;
    this.counters.bytesRead += entry.value.length;
    return entry.value;
  }

  /** Fixes the current state for iterate(); release it when done so compaction may drop it. */
  snapshot(): Snapshot {
    this.checkOpen();
    const seq = this.lastSeq;
    this.snapshots.set(seq, (this.snapshots.get(seq) ?? 0) + 1);
    return new SnapshotHandle(this, seq, () => {
      const count = this.snapshots.get(seq)! - 1;
      if (count === 0) this.snapshots.delete(seq);
      else this.snapshots.set(seq, count);
    });
  }

  /** Live pairs with keys in the range, ascending, as of `range.snapshot` (default: now). */
  iterate(range: IterateRange = {}): EngineIterator {
    this.checkOpen();
    if (range.gte !== undefined && range.gt !== undefined) {
      throw new InvalidArgumentError('iterate: give gte or gt, not both');
    }
    const limit = range.limit ?? Number.POSITIVE_INFINITY;
    if (!(limit >= 0)) throw new InvalidArgumentError(`iterate: bad limit ${range.limit}`);
    let seq = this.lastSeq;
    if (range.snapshot) {
      const snapshot = range.snapshot;
      if (!(snapshot instanceof SnapshotHandle) || snapshot.owner !== this) {
        throw new InvalidArgumentError('iterate: the snapshot is not from this engine');
      }
      if (snapshot.released) throw new InvalidArgumentError('iterate: the snapshot was released');
      seq = snapshot.seq;
    }
    return scan(
      { gte: range.gte ?? range.gt, excluded: range.gt, lt: range.lt, seq, limit },
      {
        memtables: [this.mutable, ...[...this.immutables].reverse().map((item) => item.memtable)],
        version: this.current,
        tables: this.tables,
        onRead: (bytes) => {
          this.counters.bytesRead += bytes;
        },
      },
    );
  }

  stats(): EngineStats {
    const cache = this.blockCache.stats();
    const lookups = cache.hits + cache.misses;
    const log = this.commitLog;
    return {
      levels: this.current.levels.map((files, level) => ({
        level,
        files: files.length,
        bytes: files.reduce((sum, file) => sum + file.meta.bytes, 0),
      })),
      memtableBytes: this.immutables.reduce(
        (sum, item) => sum + item.memtable.bytes,
        this.mutable.bytes,
      ),
      immutableMemtables: this.immutables.length,
      flushes: this.counters.flushes,
      compactions: this.counters.compactions,
      bytesCompacted: this.counters.bytesCompacted,
      bytesWritten: (log?.bytesWritten ?? 0) + this.counters.tableBytesWritten,
      bytesRead: this.counters.bytesRead,
      cacheHits: cache.hits,
      cacheMisses: cache.misses,
      cacheHitRatio: lookups === 0 ? 0 : cache.hits / lookups,
      cacheBytes: cache.bytes,
      openFiles: this.tables.openFiles,
      commitLogFsyncs: log?.fsyncs ?? 0,
      fsyncSecondsTotal: log?.fsyncSecondsTotal ?? 0,
      writeStalls: this.counters.writeStalls,
      queuedWrites: this.writeQueue.length,
      queuedWriteBytes: this.writeQueue.bytes,
      writesRefused: this.counters.writesRefused,
      diskFreeBytes: this.diskGuard.lastFreeBytes,
      lastSeq: this.lastSeq,
      liveSnapshots: [...this.snapshots.values()].reduce((sum, count) => sum + count, 0),
      ...(this.stickyError ? { backgroundError: this.stickyError.message } : {}),
    };
  }

  /** Flushes what was written before the call (the memtable and frozen ones) to L0. */
  async flush(): Promise<void> {
    this.checkOpen();
    await this.flushMemtables();
  }

  /**
   * Resolves once no flush or compaction is running or due (until new writes make one due).
   * Rejects with the sticky error if background work failed.
   */
  async idle(): Promise<void> {
    this.checkOpen();
    for (;;) {
      if (this.stickyError) throw this.stickyError;
      this.scheduleBackground();
      if (!this.backgroundRunning) return;
      await this.nextProgress();
    }
  }

  /**
   * Compacts everything down to the bottom level and rewrites the bottom files that hold
   * tombstones (dropping those past the grace period). For tests and operator tools.
   */
  async compactAll(): Promise<void> {
    this.checkOpen();
    await this.flushMemtables();
    for (let level = 0; level < BOTTOM_LEVEL; level++) {
      await this.runManual(() => this.compactWholeLevel(level, false));
    }
    await this.runManual(() => this.compactWholeLevel(BOTTOM_LEVEL, true));
    if (this.stickyError) throw this.stickyError;
  }

  /** Flushes the memtable, waits for background work, and releases the directory. */
  async close(): Promise<void> {
    if (this.closing) {
      while (!this.closed) await this.nextProgress();
      return;
    }
    this.closing = true;
    try {
      while (this.writeQueue.length > 0 && !this.stickyError) {
        this.scheduleBackground();
        if (!this.backgroundRunning && this.stallLevel() === 'stop') {
          // Nothing can unblock them (a bug): fail them rather than wait forever.
          const error = new EngineError('engine closed with writes stalled behind L0');
          for (const queued of this.writeQueue.takeAll()) queued.reject(error);
          break;
        }
        await this.nextProgress();
      }
      await this.commitLog?.sync();
      if (!this.stickyError) await this.flushMemtables();
    } catch (error) {
      this.settings.logger.warn({ err: error }, 'engine: close could not flush');
    } finally {
      while (this.backgroundRunning) await this.nextProgress();
      await this.abandon();
    }
  }

  // ---- write path ----

  private toOperations(ops: readonly BatchOp[]): { operations: BatchOperation[]; bytes: number } {
    if (!Array.isArray(ops)) throw new InvalidArgumentError('write: ops must be an array');
    const nowMs = this.settings.now();
    const operations = ops.map((op): BatchOperation => {
      checkKey(op.key);
      if (op.type === 'put') {
        if (!Buffer.isBuffer(op.value)) throw new InvalidArgumentError('value must be a Buffer');
        if (op.value.length > VALUE_BYTES_MAX) {
          throw new InvalidArgumentError(
            `value of ${op.value.length} bytes exceeds ${VALUE_BYTES_MAX} bytes`,
          );
        }
        return { kind: EntryKind.Put, key: op.key, value: op.value };
      }
      if (op.type === 'delete') {
        const deletedAtMs = op.deletedAtMs ?? nowMs;
        if (!Number.isSafeInteger(deletedAtMs) || deletedAtMs < 0 || deletedAtMs > nowMs) {
          throw new InvalidArgumentError(`deletedAtMs ${op.deletedAtMs} is not a time before now`);
        }
        return { kind: EntryKind.Delete, key: op.key, value: tombstoneValue(deletedAtMs) };
      }
      throw new InvalidArgumentError(`write: unknown op type ${(op as { type: unknown }).type}`);
    });
    const bytes = writeBatchBytes(operations);
    if (bytes > RECORD_PAYLOAD_BYTES_MAX) {
      throw new InvalidArgumentError(
        `write batch of ${bytes} bytes exceeds ${RECORD_PAYLOAD_BYTES_MAX} bytes`,
      );
    }
    return { operations, bytes };
  }

  private applied(operations: BatchOperation[]): AppliedWrite {
    const durable = this.apply(operations);
    // The caller awaits it after other steps; a failure before then is not "unhandled".
    durable.catch(() => undefined);
    return { durable };
  }

  private apply(operations: BatchOperation[]): Promise<void> {
    const log = this.commitLog!;
    const firstSeq = this.lastSeq + 1;
    const { bytes, entries } = encodeWriteBatch(firstSeq, operations, RECORD_HEADER_BYTES);
    this.lastSeq += operations.length;
    const durable = log.append(frameRecord(bytes, RecordType.WriteBatch));
    for (const entry of entries) this.mutable.add(entry);
    if (this.mutable.bytes >= this.settings.memtableBytesMax) this.freezeMemtable();
    return durable;
  }

  /** Starts a new memtable and commit-log segment when there is room for a frozen memtable. */
  private freezeMemtable(): void {
    if (this.mutable.count === 0 || this.immutables.length >= IMMUTABLE_MEMTABLES_MAX) return;
    const segment = this.nextFileNumber++;
    try {
      this.commitLog!.rotate(segment);
    } catch {
      return; // the commit log reported its failure (sticky) through onLogFailure
    }
    this.immutables.push({ memtable: this.mutable, logNumberAfter: segment });
    this.mutable = new Memtable(this.memtablePool, this.mutable.nextSizing());
    this.scheduleBackground();
  }

  private stallLevel(): StallLevel {
    const l0Files = this.current.levels[0]!.length;
    const memtablesFull =
      this.mutable.bytes >= this.settings.memtableBytesMax &&
      this.immutables.length >= IMMUTABLE_MEMTABLES_MAX;
    if (memtablesFull || l0Files >= this.settings.l0StopTrigger) return 'stop';
    if (l0Files >= this.settings.l0SlowdownTrigger) return 'slowdown';
    return 'none';
  }

  /** Applies queued writes in order as far as the stall level allows. */
  private scheduleDrain(): void {
    if (this.writeQueue.length === 0 || this.drainTimer) return;
    if (this.stickyError) {
      for (const queued of this.writeQueue.takeAll()) queued.reject(this.stickyError);
      return;
    }
    const level = this.stallLevel();
    if (level === 'stop') return; // background progress calls back here
    if (level === 'slowdown') {
      this.drainTimer = setTimeout(() => {
        this.drainTimer = undefined;
        this.drainQueue();
      }, SLOWDOWN_DELAY_MS);
      return;
    }
    this.drainQueue();
  }

  private drainQueue(): void {
    while (this.writeQueue.length > 0 && this.stallLevel() !== 'stop' && !this.stickyError) {
      const queued = this.writeQueue.shift()!;
      queued.resolve(this.applied(queued.operations));
    }
    this.scheduleDrain();
  }

  private checkWritable(): void {
    if (this.closing || this.closed) throw new EngineClosedError('engine is closed');
    if (this.stickyError) throw this.stickyError;
    this.diskGuard.checkWritable();
  }

  private checkOpen(): void {
    if (this.closed) throw new EngineClosedError('engine is closed');
  }

  // ---- read path ----

  /** Newest version of `key` anywhere, newest sources first; allocation-free (hot path). */
  private newestEntry(key: Buffer): Entry | undefined {
    const found = this.mutable.get(key);
    if (found) return found;
    for (let index = this.immutables.length - 1; index >= 0; index--) {
      const entry = this.immutables[index]!.memtable.get(key);
      if (entry) return entry;
    }
    const levels = this.current.levels;
    for (const file of levels[0]!) {
      if (!file.contains(key)) continue;
      const entry = this.tables.reader(file).get(key);
      if (entry) return entry;
    }
    for (let level = 1; level < LEVEL_COUNT; level++) {
      const file = findFile(levels[level]!, key);
      const entry = file && this.tables.reader(file).get(key);
      if (entry) return entry;
    }
    return undefined;
  }

  // ---- background work ----

  private scheduleBackground(): void {
    if (this.backgroundRunning || this.stickyError || this.closed) return;
    const job = this.nextJob();
    if (!job) return;
    this.backgroundRunning = true;
    job
      .run()
      .catch((error: unknown) => this.setStickyError(error, job.what))
      .finally(() => {
        this.backgroundRunning = false;
        this.notifyProgress();
        this.scheduleDrain();
        this.scheduleBackground();
      });
  }

  private nextJob(): BackgroundJob | undefined {
    if (this.immutables.length > 0) return { what: 'flush', run: () => this.flushOldest() };
    const manual = this.manualJobs.shift();
    if (manual) return manual;
    // While closing, compactions still run as long as accepted writes wait behind an L0
    // stop: close() applies those writes first, and only a compaction can unblock them.
    if (this.closing && this.writeQueue.length === 0) return undefined;
    const plan = pickCompaction(this.current.metas(), this.settings, this.compactPointers);
    return plan && { what: 'compaction', run: () => this.compact(plan) };
  }

  private async flushOldest(): Promise<void> {
    const frozen = this.immutables[0]!;
    const fileNumber = this.nextFileNumber++;
    const version = this.current;
    version.ref();
    try {
      const result = await this.worker.run({
        kind: 'flush',
        memtable: frozen.memtable.image(),
        path: tablePath(this.dir, fileNumber),
        fileNumber,
        retention: this.retention(version, 0),
        table: this.tableOptions(),
      });
      const added = this.outputFiles(result, 0);
      await this.install(
        { removed: new Set(), added },
        { logNumber: frozen.logNumberAfter, lastSeq: frozen.memtable.maxSeq },
        () => {
          this.immutables.shift();
          frozen.memtable.retire();
          this.counters.flushes++;
          this.counters.tableBytesWritten += result.bytesWritten;
        },
      );
      await this.commitLog!.removeSegmentsBefore(frozen.logNumberAfter);
    } finally {
      version.unref();
    }
  }

  private async compact(plan: CompactionPlan): Promise<void> {
    const inputs = [...plan.inputs, ...plan.overlapping];
    const live = new Map(this.current.files().map((file) => [file.fileNumber, file]));
    if (plan.trivialMove) {
      const file = live.get(plan.inputs[0]!.fileNumber)!;
      await this.install(
        { removed: new Set([file.fileNumber]), added: [{ level: plan.outputLevel, file }] },
        {},
        () => this.advancePointer(plan),
      );
      return;
    }
    const version = this.current;
    version.ref();
    try {
      const target = targetFileBytes(this.settings);
      // Enough numbers for outputs of `target` bytes; should keys compress better than the
      // estimate, the last output takes the rest. Unused numbers are handed back if possible.
      const outputCount = Math.ceil(levelBytes(inputs) / target) + 2;
      const firstNumber = this.nextFileNumber;
      this.nextFileNumber += outputCount;
      const outputs = Array.from({ length: outputCount }, (_, index) => ({
        fileNumber: firstNumber + index,
        path: tablePath(this.dir, firstNumber + index),
      }));
      const result = await this.worker.run({
        kind: 'compaction',
        inputs: inputs.map((input) => ({
          path: live.get(input.fileNumber)!.path,
          fileNumber: input.fileNumber,
        })),
        outputs,
        targetFileBytes: target,
        retention: this.retention(version, plan.outputLevel + 1),
        table: this.tableOptions(),
      });
      if (this.nextFileNumber === firstNumber + outputCount) {
        this.nextFileNumber = firstNumber + result.outputs.length;
      }
      const added = this.outputFiles(result, plan.outputLevel);
      const removed = new Set(inputs.map((input) => input.fileNumber));
      await this.install({ removed, added }, {}, () => {
        this.advancePointer(plan);
        this.counters.compactions++;
        this.counters.bytesCompacted += result.bytesRead;
        this.counters.tableBytesWritten += result.bytesWritten;
      });
    } finally {
      version.unref();
    }
  }

  private async compactWholeLevel(level: number, onlyWithTombstones: boolean): Promise<void> {
    const levels = this.current.metas();
    const files = levels[level]!.filter((file) => !onlyWithTombstones || file.tombstoneCount > 0);
    if (files.length === 0) return;
    await this.compact(planCompaction(levels, level, files, false));
  }

  private advancePointer(plan: CompactionPlan): void {
    if (plan.level > 0) this.compactPointers[plan.level] = keyRange(plan.inputs).largestKey;
  }

  /** Retention inputs; `olderFrom` is the first level whose files are older than the output. */
  private retention(version: Version, olderFrom: number): RetentionParams {
    const olderRanges: KeyRange[][] = [];
    for (let level = olderFrom; level < LEVEL_COUNT; level++) {
      const ranges = version.levels[level]!.map((file) => ({
        smallestKey: file.meta.smallestKey,
        largestKey: file.meta.largestKey,
      }));
      // L0 files may overlap each other: each is a sorted list of its own.
      if (level === 0) olderRanges.push(...ranges.map((range) => [range]));
      else if (ranges.length > 0) olderRanges.push(ranges);
    }
    return {
      snapshots: [...this.snapshots.keys()].sort((a, b) => a - b),
      nowMs: this.settings.now(),
      tombstoneGraceMs: this.settings.tombstoneGraceMs,
      tombstonesHeld: this.settings.tombstonesHeld(),
      olderRanges,
    };
  }

  private tableOptions(): { blockBytes?: number } {
    return this.settings.tableBlockBytes === undefined
      ? {}
      : { blockBytes: this.settings.tableBlockBytes };
  }

  private outputFiles(result: TaskResult, level: number): { level: number; file: LiveFile }[] {
    return result.outputs.map((output) => {
      const meta: TableFile = {
        fileNumber: output.fileNumber,
        level,
        bytes: output.bytes,
        entryCount: output.entryCount,
        smallestKey: Buffer.from(asBuffer(output.smallestKey)),
        largestKey: Buffer.from(asBuffer(output.largestKey)),
        minSeq: output.minSeq,
        maxSeq: output.maxSeq,
        tombstoneCount: output.tombstoneCount,
      };
      return { level, file: new LiveFile(meta, output.path) };
    });
  }

  /**
   * Makes `edit` durable in the manifest, then switches to the new version and runs
   * `onInstalled` in the same turn, so readers never see the tree half changed.
   */
  private async install(
    edit: { removed: ReadonlySet<number>; added: { level: number; file: LiveFile }[] },
    log: { logNumber?: number; lastSeq?: number },
    onInstalled: () => void,
  ): Promise<void> {
    const next = this.current.apply(edit);
    const state: ManifestState = {
      nextFileNumber: this.nextFileNumber,
      lastSeq: Math.max(this.flushedSeq, log.lastSeq ?? 0),
      logNumber: log.logNumber ?? this.logNumber,
      files: next.metas().flat(),
    };
    next.ref();
    try {
      this.counters.tableBytesWritten += await writeManifest(this.dir, state);
    } catch (error) {
      next.unref();
      throw error;
    }
    const previous = this.current;
    this.current = next;
    this.logNumber = state.logNumber;
    this.flushedSeq = state.lastSeq;
    onInstalled();
    previous.unref();
  }

  private removeObsolete(file: LiveFile): void {
    this.tables.evict(file.fileNumber);
    fs.promises.rm(file.path, { force: true }).catch((error: unknown) => {
      this.settings.logger.warn({ err: error, file: file.path }, 'engine: could not delete file');
    });
  }

  /** Runs `job` as a background step; a failure sticks and rejects with the sticky error. */
  private runManual(job: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.stickyError) {
        reject(this.stickyError);
        return;
      }
      this.manualJobs.push({
        what: 'compaction',
        abandon: reject,
        run: async () => {
          try {
            await job();
            resolve();
          } catch (error) {
            this.setStickyError(error, 'compaction');
            reject(this.stickyError);
          }
        },
      });
      this.scheduleBackground();
    });
  }

  /**
   * Flushes everything written before the call: the current memtable and those already frozen.
   * Writes arriving meanwhile go to newer memtables and are not waited for.
   */
  private async flushMemtables(): Promise<void> {
    const pending = new Set(this.immutables.map((item) => item.memtable));
    const target = this.mutable.count > 0 ? this.mutable : undefined;
    if (target) pending.add(target);
    for (;;) {
      if (this.stickyError) throw this.stickyError;
      if (target && this.mutable === target) this.freezeMemtable();
      if (!this.immutables.some((item) => pending.has(item.memtable)) && this.mutable !== target) {
        return;
      }
      await this.nextProgress();
    }
  }

  /**
   * Resolves after the next background step, or after one event-loop turn when there is no
   * background work (so callers polling a condition let timers and I/O run).
   */
  private nextProgress(): Promise<void> {
    return new Promise((resolve) => {
      this.progressWaiters.push(resolve);
      this.scheduleBackground();
      if (!this.backgroundRunning) setImmediate(() => this.notifyProgress());
    });
  }

  private notifyProgress(): void {
    for (const resolve of this.progressWaiters.splice(0)) resolve();
  }

  private setStickyError(error: unknown, what: string): void {
    if (this.stickyError) return;
    const cause = error instanceof Error ? error : new Error(String(error));
    this.stickyError =
      cause instanceof BackgroundError
        ? cause
        : new BackgroundError(`${what} failed, writes refused until reopen: ${cause.message}`, {
            cause,
          });
    this.settings.logger.error({ err: cause }, `engine: ${what} failed`);
    for (const queued of this.writeQueue.takeAll()) queued.reject(this.stickyError);
    for (const job of this.manualJobs.splice(0)) job.abandon?.(this.stickyError);
    this.notifyProgress();
  }

  // ---- open and close ----

  private async recover(): Promise<void> {
    const recovered = await recoverStore(
      this.dir,
      this.tables,
      this.memtablePool,
      this.settings.logger,
    );
    const initial = new Version(recovered.levels, (file) => this.removeObsolete(file));
    initial.ref();
    this.current.unref();
    this.current = initial;
    this.mutable = recovered.memtable;
    this.lastSeq = recovered.lastSeq;
    this.flushedSeq = recovered.manifest.lastSeq;
    this.logNumber = recovered.manifest.logNumber;
    this.nextFileNumber = recovered.nextFileNumber;
    this.commitLog = new CommitLog(
      {
        dir: this.dir,
        syncPolicy: this.settings.syncPolicy,
        syncIntervalMs: this.settings.syncIntervalMs,
        onFsync: this.settings.onFsync,
      },
      this.nextFileNumber++,
      recovered.segments,
      (error) => this.setStickyError(error, 'commit-log write'),
    );
    await this.diskGuard.refresh();
    this.settings.logger.info(
      {
        dir: this.dir,
        files: recovered.manifest.files.length,
        replayedRecords: recovered.replayedRecords,
        lastSeq: this.lastSeq,
      },
      'engine: opened',
    );
    if (this.mutable.bytes >= this.settings.memtableBytesMax) this.freezeMemtable();
    this.scheduleBackground();
  }

  /** Releases everything; used by close() and by a failed open. */
  private async abandon(): Promise<void> {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    const closedError = this.stickyError ?? new EngineClosedError('engine closed');
    for (const queued of this.writeQueue.takeAll()) queued.reject(closedError);
    for (const job of this.manualJobs.splice(0)) job.abandon?.(closedError);
    try {
      await this.commitLog?.close();
    } catch (error) {
      this.settings.logger.warn({ err: error }, 'engine: error while closing the commit log');
    } finally {
      this.tables.closeAll();
      this.closed = true;
      this.lock.release();
      this.notifyProgress();
    }
  }
}

class SnapshotHandle implements Snapshot {
  private isReleased = false;

  constructor(
    readonly owner: Engine,
    readonly seq: number,
    private readonly onRelease: () => void,
  ) {}

  get released(): boolean {
    return this.isReleased;
  }

  release(): void {
    if (this.isReleased) return;
    this.isReleased = true;
    this.onRelease();
  }
}

function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key)) throw new InvalidArgumentError('key must be a Buffer');
  if (key.length === 0) throw new InvalidArgumentError('key must not be empty');
  if (key.length > KEY_BYTES_MAX) {
    throw new InvalidArgumentError(`key of ${key.length} bytes exceeds ${KEY_BYTES_MAX} bytes`);
  }
}
