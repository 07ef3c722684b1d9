// A replica's versions: each (tenant, key) is one encoded DVVSet in the engine
// (engine-keys.ts). Writes are read-modify-write under a per-key lock; every operation is
// idempotent, so a coordinator may resend anything (retries, hints, repairs).
import {
  applyBounds,
  collapseToWinner,
  decodeVersionSet,
  EMPTY_VERSION_SET,
  encodeVersionSet,
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
import type { Engine } from '../engine';
import { CorruptVersionsError } from './corrupt-versions-error';
import { decodeDataKey, encodeDataKey } from './engine-keys';
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

export interface VersionStoreEvents {
  /** A set went past the sibling cap and collapsed to its LWW winner. */
  onSiblingCapCollapse?(): void;
}

export class VersionStore {
  private readonly lock = new KeyLock();

  constructor(
    /** Named in errors about this node's stored data. */
    private readonly nodeId: string,
    private readonly engine: Engine,
    private readonly bounds: VersionSetBounds = {},
    private readonly events: VersionStoreEvents = {},
  ) {}

  read(tenantId: string, key: string): VersionSet | undefined {
    return this.readEngineKey(encodeDataKey(tenantId, key));
  }

  /** Applies a client write (DVVSet update; a write already applied or written over is a no-op). */
  write(write: VersionedWrite): Promise<VersionSet> {
    const engineKey = encodeDataKey(write.tenantId, write.key);
    return this.lock.run(engineKey, async () => {
      const current = this.readEngineKey(engineKey) ?? EMPTY_VERSION_SET;
      const next = update(current, write.context, write.dot, write.content);
      if (next === current) return current;
      return this.store(engineKey, next, write.policy);
    });
  }

  /** Merges a whole set from elsewhere (DVVSet sync). */
  repair(
    tenantId: string,
    key: string,
    incoming: VersionSet,
    policy: ConflictPolicy,
  ): Promise<VersionSet> {
    const engineKey = encodeDataKey(tenantId, key);
    return this.repairEngineKey(engineKey, incoming, policy);
  }

  repairEngineKey(
    engineKey: Buffer,
    incoming: VersionSet,
    policy: ConflictPolicy,
  ): Promise<VersionSet> {
    return this.lock.run(engineKey, async () => {
      const current = this.readEngineKey(engineKey);
      const next = current ? sync(current, incoming) : incoming;
      return this.store(engineKey, next, policy, current);
    });
  }

  /** Throws CorruptVersionsError when the stored bytes do not decode. */
  private readEngineKey(engineKey: Buffer): VersionSet | undefined {
    const bytes = this.engine.get(engineKey);
    if (!bytes) return undefined;
    try {
      return decodeVersionSet(bytes);
    } catch (error) {
      const undecodable =
        error instanceof VersionSetDecodeError || error instanceof VersionArgumentError;
      if (!undecodable) throw error;
      const { tenantId, key } = decodeDataKey(engineKey);
      throw new CorruptVersionsError(this.nodeId, tenantId, key, engineKey, error);
    }
  }

  private async store(
    engineKey: Buffer,
    next: VersionSet,
    policy: ConflictPolicy,
    current?: VersionSet,
  ): Promise<VersionSet> {
    const resolved = policy === 'lww' ? collapseToWinner(next) : next;
    const bounded = applyBounds(resolved, this.bounds);
    if (bounded.collapsed) this.events.onSiblingCapCollapse?.();
    const bytes = Buffer.from(encodeVersionSet(bounded.set));
    if (current && Buffer.from(encodeVersionSet(current)).equals(bytes)) return current;
    await this.engine.put(engineKey, bytes);
    return bounded.set;
  }
}
