// Removes one tenant's stored version sets whose tokens lie in a ring range: the cleanup of a
// migration (a node drops what it no longer owns) and the abort of one (a destination drops what
// it was given). The keys leave the engine (an engine delete, purged by compaction after the
// tombstone grace), unlike a client delete, which stores a DVVSet tombstone: on this node the
// key is as if never written. Whether dropping is safe is the caller's decision
// (docs/architecture.md#fencing).
//
// Work per call is bounded: at most `limit` keys, resumable after the last one dropped.
import type { Token } from '@pairdb/hashring';
import { validateTenantId } from '@pairdb/wire-contract';
import type { Engine } from '../engine';
import { InvalidRequestError } from '../versions/validation';
import type { VersionStore } from '../versions/version-store';
import { scanTokenRangeEncoded } from './token-range-scan';

/** Keys dropped per call when the caller does not say. */
export const DROP_RANGE_KEYS_DEFAULT = 1024;
/** Most keys one call may drop: bounds the deletes in flight and the time of one call. */
export const DROP_RANGE_KEYS_MAX = 4096;

export interface TokenRangeDrop {
  readonly start: Token;
  readonly end: Token;
  /** Required: only this tenant's keys go. */
  readonly tenantId: string;
  /** Resume strictly after this engine key; empty starts at the range. */
  readonly afterKey?: Buffer;
  /** Keys to drop at most; 0 means DROP_RANGE_KEYS_DEFAULT. */
  readonly limit: number;
}

export interface DroppedRange {
  readonly keysDropped: number;
  /** The engine key of the last key dropped; empty when none was. */
  readonly lastKey: Buffer;
  /** No key of the tenant is left in the range after lastKey (as of the scan's snapshot). */
  readonly done: boolean;
}

export async function dropTokenRange(
  engine: Engine,
  versions: VersionStore,
  query: TokenRangeDrop,
): Promise<DroppedRange> {
  validateTenantId(query.tenantId);
  const limit = query.limit === 0 ? DROP_RANGE_KEYS_DEFAULT : query.limit;
  if (limit > DROP_RANGE_KEYS_MAX) {
    throw new InvalidRequestError('limit', limit, `is above ${DROP_RANGE_KEYS_MAX}`);
  }
  const keys: Buffer[] = [];
  let done = true;
  const snapshot = engine.snapshot();
  try {
    for (const entry of scanTokenRangeEncoded(engine, query, snapshot)) {
      if (keys.length === limit) {
        done = false;
        break;
      }
      keys.push(entry.engineKey);
    }
  } finally {
    snapshot.release();
  }
  await Promise.all(keys.map((key) => versions.drop(key)));
  return { keysDropped: keys.length, lastKey: keys.at(-1) ?? Buffer.alloc(0), done };
}
