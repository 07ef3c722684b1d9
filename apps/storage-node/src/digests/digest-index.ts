// The node's incremental anti-entropy digests (docs/architecture.md#incremental-digests): a
// SegmentDigests kept current by every data-key change, so a digest of whole segments costs no
// scan. Nothing of it is stored: at start (and after anything that leaves it unsure) it is
// rebuilt in the background from one scan of an engine snapshot, and until then `ready` is false
// and range digests are answered by scanning.
//
// Exactness across a rebuild. Every change of a data key goes through commit() (VersionStore
// calls it around its engine write, under the key's lock). A rebuild closes a gate that holds new
// commits before their engine write, waits until the commits already past it have finished
// (engine write applied, change recorded), takes the snapshot, starts recording changes into an empty delta,
// and opens the gate. So each change is either in the snapshot (finished before it) or recorded
// in the delta (its engine write began after it), never both, never neither; the snapshot scan
// gives the base, and base XOR delta is the index (XOR and count sums commute, so the delta's
// order does not matter). A write's previous value is read under the key's lock, so per key the
// changes chain: the delta of a key XORs out exactly what the snapshot or the previous change
// put in.
//
// A change whose previous bytes could not be read (damaged) or whose engine write failed before
// it was known to be applied leaves the index unsure of that key: the index is dropped and
// rebuilt. A write applied whose durability then fails is in the memtable, so in the index too;
// a restart rebuilds the index from what the commit log kept.
import { DIGEST_SEGMENTS } from '@pairdb/hashring';
import {
  type AppliedWrite,
  BackgroundError,
  DiskFullError,
  EngineClosedError,
  InvalidArgumentError,
  WriteQueueFullError,
  type Engine,
  type Snapshot,
} from '../engine';
import { PREVIOUS_UNREADABLE, type DataKeyChanges } from '../versions/data-key-changes';
import { DATA_KEYSPACE_END, dataKeyFloor } from '../versions/engine-keys';
import { entryHash, segmentOfKey, SegmentDigests, type SegmentDigest } from './segment-digests';

/** Keys a rebuild reads per event-loop turn: requests interleave with it. */
export const REBUILD_KEYS_PER_TURN = 2048;
/** Wait before retrying a failed rebuild (a damaged block fails each try until repaired). */
export const REBUILD_RETRY_MS = 60_000;

export interface DigestIndexEvents {
  onRebuilt?(keys: number, durationMs: number): void;
  onRebuildFailed?(error: Error): void;
}

export interface DigestIndexOptions {
  /** Keys a rebuild reads per event-loop turn; default REBUILD_KEYS_PER_TURN. */
  readonly keysPerTurn?: number;
}

/**
 * Engine write failures that leave nothing applied: the index stays exact. A stuck engine refuses
 * writes with its BackgroundError before applying them; the commit-log failure that makes it
 * stuck reaches the write it failed as the file system's own error, and that write may be in the
 * memtable (it is then unsure).
 */
function nothingApplied(error: unknown): boolean {
  return (
    error instanceof BackgroundError ||
    error instanceof WriteQueueFullError ||
    error instanceof DiskFullError ||
    error instanceof EngineClosedError ||
    error instanceof InvalidArgumentError
  );
}

export class DigestIndex implements DataKeyChanges {
  /** The index when exact; undefined until a rebuild completes. */
  private live: SegmentDigests | undefined;
  /** Changes since the running rebuild's snapshot. */
  private delta: SegmentDigests | undefined;
  private rebuilding: Promise<void> | undefined;
  /** The index went unsure during a rebuild: run another when it ends. */
  private rebuildAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Per segment (every tenant), changes committed: range-edge caches compare it. */
  private readonly changeCounts = new Float64Array(DIGEST_SEGMENTS);
  /** Commits past the gate and not yet recorded. */
  private inFlight = 0;
  private drained: (() => void) | undefined;
  /** Closed while a rebuild takes its snapshot. */
  private gate: Promise<void> | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly events: DigestIndexEvents = {},
    private readonly options: DigestIndexOptions = {},
  ) {}

  /** Whether digests of whole segments can be answered from memory. */
  get ready(): boolean {
    return this.live !== undefined;
  }

  /** Changes committed to `segment` (any tenant): unchanged means a cached edge still holds. */
  changeCount(segment: number): number {
    return this.changeCounts[segment]!;
  }

  /** A whole segment's digest for `tenantId` ('' for every tenant); the index must be ready. */
  segment(tenantId: string, segment: number): SegmentDigest {
    if (!this.live) throw new Error('digest index read before it was ready');
    return this.live.segment(tenantId, segment);
  }

  async commit(
    engineKey: Buffer,
    previous: Buffer | undefined | typeof PREVIOUS_UNREADABLE,
    next: Buffer | undefined,
    write: () => Promise<AppliedWrite>,
  ): Promise<AppliedWrite> {
    // Hashed at once: `previous` may be engine memory, which is reused once the write is done.
    const previousHash =
      previous === PREVIOUS_UNREADABLE || previous === undefined
        ? previous
        : entryHash(engineKey, previous);
    while (this.gate) await this.gate;
    this.inFlight++;
    try {
      const applied = await write();
      if (previousHash === PREVIOUS_UNREADABLE) this.invalidate();
      else this.record(engineKey, previousHash, next && entryHash(engineKey, next));
      return applied;
    } catch (error) {
      if (!nothingApplied(error)) this.invalidate();
      throw error;
    } finally {
      this.changeCounts[segmentOfKey(engineKey).segment]!++;
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    }
  }

  /** Starts a rebuild in the background unless one is running. */
  rebuild(): void {
    if (this.closed) return;
    if (this.rebuilding) {
      this.rebuildAgain = true;
      return;
    }
    this.rebuilding = this.runRebuild().finally(() => {
      this.rebuilding = undefined;
      if (this.rebuildAgain) {
        this.rebuildAgain = false;
        this.rebuild();
      }
    });
  }

  /** Waits for the running rebuild, if any (it gives up at once when closed). */
  async settled(): Promise<void> {
    while (this.rebuilding) await this.rebuilding;
  }

  /** Stops rebuilding: call before the engine closes. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.settled();
  }

  private record(engineKey: Buffer, previous: Buffer | undefined, next: Buffer | undefined) {
    this.live?.change(engineKey, previous, next);
    this.delta?.change(engineKey, previous, next);
  }

  private invalidate(): void {
    this.live = undefined;
    this.rebuild();
  }

  private async runRebuild(): Promise<void> {
    const started = Date.now();
    let snapshot: Snapshot;
    try {
      snapshot = await this.snapshotBetweenCommits();
    } catch (error) {
      this.failed(error as Error);
      return;
    }
    const delta = this.delta!;
    try {
      const base = new SegmentDigests();
      let keys = 0;
      let after: Buffer | undefined;
      const limit = this.options.keysPerTurn ?? REBUILD_KEYS_PER_TURN;
      for (;;) {
        if (this.closed || this.rebuildAgain) return;
        const from = after ? { gt: after } : { gte: dataKeyFloor(0n) };
        const range = { ...from, lt: DATA_KEYSPACE_END, snapshot, limit };
        let read = 0;
        for (const [engineKey, value] of this.engine.iterate(range)) {
          base.change(engineKey, undefined, entryHash(engineKey, value));
          after = Buffer.from(engineKey);
          read++;
        }
        keys += read;
        if (read < limit) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      base.merge(delta);
      this.live = base;
      this.events.onRebuilt?.(keys, Date.now() - started);
    } catch (error) {
      this.failed(error as Error);
    } finally {
      this.delta = undefined;
      snapshot.release();
    }
  }

  private failed(error: Error): void {
    this.events.onRebuildFailed?.(error);
    if (!this.closed) this.retryTimer = setTimeout(() => this.rebuild(), REBUILD_RETRY_MS);
  }

  /**
   * Holds new commits, waits for those past the gate, snapshots and starts the delta before any
   * held commit goes on.
   */
  private async snapshotBetweenCommits(): Promise<Snapshot> {
    let open!: () => void;
    this.gate = new Promise((resolve) => (open = resolve));
    try {
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      const snapshot = this.engine.snapshot();
      this.delta = new SegmentDigests();
      return snapshot;
    } finally {
      this.drained = undefined;
      this.gate = undefined;
      open();
    }
  }
}
