// A replica's versions: each (tenant, key) is one encoded DVVSet in the engine
// (engine-keys.ts). Writes are read-modify-write under a per-key lock; every operation is
// idempotent, so a coordinator may resend anything (retries, hints, repairs).
//
// The lock is held until a write is applied (visible in the memtable), not across its fsync: the
// next write to a hot key reads the applied set and joins the same group commit instead of
// waiting out the previous fsync. No write answers before it is durable, nor before the write it
// builds on is: each key's last write's durability is kept until it settles, and a write that
// finds its change already applied (a retry) waits for it too.
//
// A set of tombstones only is stored with a receipt (engine-keys.ts): when this node stored it,
// written in the same engine batch, so a crash keeps both or neither. Tombstones are purged by
// purgeTombstone once repair has verified them (docs/architecture.md#tombstone-purge).
//
// A stored set that cannot be read because its bytes are damaged (a bad block or bytes that do
// not decode: CorruptVersionsError, naming node, tenant and key) is reported on every operation. Reads and client writes fail with it; a repair replaces it (see repair()).
import {
  applyBounds,
  collapseToWinner,
  decodeVersionSet,
  EMPTY_VERSION_SET,
  encodeVersionSet,
  isDeleted,
  sync,
  update,
  type Dot,
  type VersionSet,
  type VersionSetBounds,
  VersionArgumentError,
  VersionSetDecodeError,
  type VersionVector,
  type WriteContent,
} from '@pairdb/vectorclock';
import type { ConflictPolicy } from '@pairdb/wire-contract';
import { CorruptionError, type BatchOp, type Engine } from '../engine';
import { CorruptVersionsError } from './corrupt-versions-error';
import { PREVIOUS_UNREADABLE, UNTRACKED_CHANGES, type DataKeyChanges } from './data-key-changes';
import {
  decodeDataKey,
  decodeReceipt,
  encodeDataKey,
  encodeReceipt,
  receiptKeyOf,
} from './engine-keys';
import { KeyLock } from './key-lock';

export type { ConflictPolicy };

export interface VersionedWrite {
  readonly tenantId: string;
  readonly key: string;
  /** The context the client read (empty for a blind write). */
  readonly context: VersionVector;
  readonly dot: Dot;
  readonly content: WriteContent;
  readonly policy: ConflictPolicy;
}

/** What a replica was doing when it met a damaged stored set. */
export type CorruptionOperation = 'read' | 'write' | 'repair';

export interface VersionStoreEvents {
  /** A set went past the sibling cap and collapsed to its LWW winner. */
  onSiblingCapCollapse?(): void;
  /**
   * The stored set of `engineKey` could not be read: its bytes are damaged. `replaced` is true
   * when a repair wrote the incoming set over it.
   */
  onCorruption?(
    error: CorruptVersionsError,
    engineKey: Buffer,
    operation: CorruptionOperation,
    replaced: boolean,
  ): void;
}

/** A stored set and the bytes it was read from. */
interface StoredSet {
  readonly set: VersionSet;
  readonly bytes: Buffer;
}

/** A set as a write left it, and when that state is durable. */
interface Stored {
  readonly set: VersionSet;
  readonly durable: Promise<void>;
}

const ALREADY_DURABLE: Promise<void> = Promise.resolve();

export class VersionStore {
  private readonly lock = new KeyLock();
  /** Per engine key (latin1), the durability of its last applied write until it settles. */
  private readonly pendingDurable = new Map<string, Promise<void>>();
  /** The receipt times of stores not yet visible to readers (see repairHorizonMs). */
  private readonly storesInFlight = new Set<{ readonly receivedAtMs: number }>();

  constructor(
    /** Named in errors about this node's stored data. */
    private readonly nodeId: string,
    private readonly engine: Engine,
    private readonly bounds: VersionSetBounds = {},
    private readonly events: VersionStoreEvents = {},
    /** Every engine write of a data key goes through it (the node's digest index). */
    private readonly changes: DataKeyChanges = UNTRACKED_CHANGES,
    /** The node's clock: tombstone receipts and repair horizons (tests pass their own). */
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A time before which every store is visible to readers: now, or the receipt time of the
   * oldest store still on its way into the engine. Taken before a digest is computed, it is a
   * time that digest covers: a tombstone received before it is in the digest.
   */
  repairHorizonMs(): number {
    let horizon = this.now();
    for (const store of this.storesInFlight) horizon = Math.min(horizon, store.receivedAtMs);
    return horizon;
  }

  read(tenantId: string, key: string): VersionSet | undefined {
    const engineKey = encodeDataKey(tenantId, key);
    return this.reportingCorruption(engineKey, 'read', () => this.readEngineKey(engineKey));
  }

  /**
   * Applies a client write (DVVSet update; a write already applied or written over is a no-op).
   * On a damaged stored set the write fails: it carries one sibling and the client's context,
   * so storing it in place of a state nobody can read could drop concurrent siblings the
   * damaged set held, and acknowledge that loss. Refusing counts this replica out of the quorum;
   * the others take the write, and a repair (a full set) heals this one.
   */
  async write(write: VersionedWrite): Promise<VersionSet> {
    const engineKey = encodeDataKey(write.tenantId, write.key);
    const stored = await this.lock.run(engineKey, async (): Promise<Stored> => {
      const stored = this.reportingCorruption(engineKey, 'write', () => this.readStored(engineKey));
      const current = stored?.set ?? EMPTY_VERSION_SET;
      const next = update(current, write.context, write.dot, write.content);
      if (next === current) return this.unchanged(engineKey, current);
      return this.store(engineKey, next, write.policy, stored);
    });
    await stored.durable;
    return stored.set;
  }

  /**
   * Merges a whole set from elsewhere (DVVSet sync). When the stored set is damaged, the incoming
   * set becomes the key's state: it is what the other replicas hold, written as a newer engine
   * entry that shadows the damaged one, and what this replica lacks comes back from them the
   * same way (read repair, hints, anti-entropy).
   */
  repair(
    tenantId: string,
    key: string,
    incoming: VersionSet,
    policy: ConflictPolicy,
  ): Promise<VersionSet> {
    const engineKey = encodeDataKey(tenantId, key);
    return this.repairEngineKey(engineKey, incoming, policy);
  }

  async repairEngineKey(
    engineKey: Buffer,
    incoming: VersionSet,
    policy: ConflictPolicy,
  ): Promise<VersionSet> {
    const stored = await this.lock.run(engineKey, async (): Promise<Stored> => {
      let current: StoredSet | undefined;
      try {
        current = this.readStored(engineKey);
      } catch (error) {
        if (!(error instanceof CorruptVersionsError)) throw error;
        const stored = await this.store(engineKey, incoming, policy, PREVIOUS_UNREADABLE);
        this.events.onCorruption?.(error, engineKey, 'repair', true);
        return stored;
      }
      const next = current ? sync(current.set, incoming) : incoming;
      return this.store(engineKey, next, policy, current, true);
    });
    await stored.durable;
    return stored.set;
  }

  /**
   * Removes a key's stored set from the engine (not a DVVSet tombstone: migration cleanup, see
   * ranges/token-range-drop.ts). Under the key's lock, so it falls between whole writes: a write
   * that follows it stores the key afresh.
   */
  drop(engineKey: Buffer): Promise<void> {
    return this.lock.run(engineKey, async () => {
      let previous: Buffer | typeof PREVIOUS_UNREADABLE | undefined;
      try {
        previous = this.engine.get(engineKey);
      } catch (error) {
        if (!(error instanceof CorruptionError)) throw error;
        previous = PREVIOUS_UNREADABLE;
      }
      const receiptKey = receiptKeyOf(engineKey);
      const ops: BatchOp[] = [{ type: 'delete', key: engineKey }];
      if (this.engine.get(receiptKey) !== undefined) ops.push({ type: 'delete', key: receiptKey });
      const applied = await this.changes.commit(engineKey, previous, undefined, () =>
        this.engine.writeApplied(ops),
      );
      await applied.durable;
    });
  }

  /**
   * The receipt time of the key's stored tombstones, or undefined when it holds none (absent,
   * or holding a value).
   */
  receiptOf(engineKey: Buffer): number | undefined {
    const receipt = this.engine.get(receiptKeyOf(engineKey));
    return receipt && decodeReceipt(receipt);
  }

  /**
   * Purges the key's tombstones if they are still the ones received at `receivedAtMs` (nothing
   * was stored over them since the caller judged them): the set and its receipt become engine
   * deletes dated `receivedAtMs`, which compaction drops at the bottom level, their grace having
   * run (docs/architecture.md#tombstone-purge). True when purged.
   */
  purgeTombstone(engineKey: Buffer, receivedAtMs: number): Promise<boolean> {
    return this.lock.run(engineKey, async () => {
      if (this.receiptOf(engineKey) !== receivedAtMs) return false;
      const current = this.readStored(engineKey);
      if (current === undefined || !isStoredTombstone(current.set)) return false;
      const applied = await this.changes.commit(engineKey, current.bytes, undefined, () =>
        this.engine.writeApplied([
          { type: 'delete', key: engineKey, deletedAtMs: receivedAtMs },
          { type: 'delete', key: receiptKeyOf(engineKey), deletedAtMs: receivedAtMs },
        ]),
      );
      await applied.durable;
      return true;
    });
  }

  private reportingCorruption<T>(
    engineKey: Buffer,
    operation: CorruptionOperation,
    run: () => T,
  ): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof CorruptVersionsError)
        this.events.onCorruption?.(error, engineKey, operation, false);
      throw error;
    }
  }

  /**
   * Throws CorruptVersionsError, naming node, tenant and key, when the engine finds the bytes
   * damaged (CRC) or they read back but do not decode.
   */
  private readEngineKey(engineKey: Buffer): VersionSet | undefined {
    return this.readStored(engineKey)?.set;
  }

  /** The stored set and its bytes (the digest index XORs them out when the key changes). */
  private readStored(engineKey: Buffer): StoredSet | undefined {
    let bytes: Buffer | undefined;
    try {
      bytes = this.engine.get(engineKey);
    } catch (error) {
      if (error instanceof CorruptionError) throw this.damaged(engineKey, error);
      throw error;
    }
    if (!bytes) return undefined;
    try {
      return { set: decodeVersionSet(bytes), bytes };
    } catch (error) {
      const undecodable =
        error instanceof VersionSetDecodeError || error instanceof VersionArgumentError;
      if (!undecodable) throw error;
      throw this.damaged(engineKey, error);
    }
  }

  private damaged(engineKey: Buffer, cause: Error): CorruptVersionsError {
    const { tenantId, key } = decodeDataKey(engineKey);
    return new CorruptVersionsError(this.nodeId, tenantId, key, engineKey, cause);
  }

  /**
   * The key's set, unchanged, durable once the write that left it so is. A failed engine (a
   * commit-log fsync that failed, say) may hold applied writes that never became durable and
   * whose failed durability is already forgotten here, so it confirms nothing: a retry finding
   * such a write applied fails as the write did.
   */
  private unchanged(engineKey: Buffer, set: VersionSet): Stored {
    const pending = this.pendingDurable.get(engineKey.toString('latin1'));
    if (pending) return { set, durable: pending };
    const failure = this.engine.backgroundError;
    if (!failure) return { set, durable: ALREADY_DURABLE };
    const refused = Promise.reject(failure);
    refused.catch(() => undefined); // awaited by the caller once the key's lock is released
    return { set, durable: refused };
  }

  /**
   * Writes `next` over `current` (what readStored found, or PREVIOUS_UNREADABLE when it was
   * damaged); with `skipEqual`, a set encoding as the current one is not written again.
   * Resolves once applied; `durable` settles when this write and the one before it on the key
   * are durable.
   */
  private async store(
    engineKey: Buffer,
    next: VersionSet,
    policy: ConflictPolicy,
    current: StoredSet | undefined | typeof PREVIOUS_UNREADABLE,
    skipEqual = false,
  ): Promise<Stored> {
    const resolved = policy === 'lww' ? collapseToWinner(next) : next;
    const bounded = applyBounds(resolved, this.bounds);
    if (bounded.collapsed) this.events.onSiblingCapCollapse?.();
    const encoded = encodeVersionSet(bounded.set);
    // A view of the encoding, not a copy.
    const bytes = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    const previous = current === PREVIOUS_UNREADABLE ? current : current?.bytes;
    if (skipEqual && current && current !== PREVIOUS_UNREADABLE) {
      // The encoding is canonical: the stored bytes need no re-encoding to compare.
      if (current.bytes.equals(bytes)) return this.unchanged(engineKey, current.set);
    }
    // Whether a damaged key held a receipt is unknown: deleting one that is not there is harmless.
    const mayHoldReceipt =
      current === PREVIOUS_UNREADABLE || (current !== undefined && isStoredTombstone(current.set));
    const inFlight = { receivedAtMs: this.now() };
    this.storesInFlight.add(inFlight);
    try {
      const ops: BatchOp[] = [{ type: 'put', key: engineKey, value: bytes }];
      // A changed set of tombstones gets a new receipt: its age restarts, which only delays a purge.
      if (isStoredTombstone(bounded.set)) {
        ops.push({
          type: 'put',
          key: receiptKeyOf(engineKey),
          value: encodeReceipt(inFlight.receivedAtMs),
        });
      } else if (mayHoldReceipt) {
        ops.push({ type: 'delete', key: receiptKeyOf(engineKey) });
      }
      const applied = await this.changes.commit(engineKey, previous, bytes, () =>
        this.engine.writeApplied(ops),
      );
      return { set: bounded.set, durable: this.chainDurable(engineKey, applied.durable) };
    } finally {
      this.storesInFlight.delete(inFlight);
    }
  }

  /** Keeps the key's pending durability: this write's and that of the write it built on. */
  private chainDurable(engineKey: Buffer, own: Promise<void>): Promise<void> {
    const id = engineKey.toString('latin1');
    const before = this.pendingDurable.get(id);
    const durable = before ? Promise.all([before, own]).then(() => undefined) : own;
    this.pendingDurable.set(id, durable);
    const forget = () => {
      if (this.pendingDurable.get(id) === durable) this.pendingDurable.delete(id);
    };
    durable.then(forget, forget);
    return durable;
  }
}

/** A stored set of tombstones only (the empty set is never stored). */
function isStoredTombstone(set: VersionSet): boolean {
  return set.siblings.length > 0 && isDeleted(set);
}
