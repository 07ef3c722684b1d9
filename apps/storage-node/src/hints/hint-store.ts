// Durable hints: versions this node holds for a replica that could not take them. One hint per
// (target node, tenant, key); a second hint for the same key merges into the first (DVVSet
// sync), so a long outage costs one entry per key, not one per write.
//
// Hint value (stored on disk):
//   format (1 byte, = 1; 0 reserved) | created unix ms (8 bytes BE) | address length (2 bytes BE)
//   | target address (UTF-8) | policy (1 byte: 1 lww, 2 siblings) | encoded version set
// The created time is the first hint's: a hint older than the window is dropped even while
// it keeps being merged into.
import { decodeVersionSet, encodeVersionSet, sync, type VersionSet } from '@pairdb/vectorclock';
import type { Engine } from '../engine';
import {
  decodeDataKey,
  decodeHintKey,
  encodeHintKey,
  hintKeyPrefix,
  KEYSPACE_HINTS,
  prefixEnd,
} from '../versions/engine-keys';
import { KeyLock } from '../versions/key-lock';
import type { ConflictPolicy } from '../versions/version-store';

const HINT_FORMAT_V1 = 1;
const POLICY_CODES: Record<ConflictPolicy, number> = { lww: 1, siblings: 2 };

export interface HintTarget {
  readonly nodeId: string;
  readonly address: string;
}

export interface Hint {
  readonly hintKey: Buffer;
  readonly target: HintTarget;
  readonly tenantId: string;
  readonly key: string;
  readonly createdMs: number;
  readonly policy: ConflictPolicy;
  readonly versions: VersionSet;
  /** The stored bytes, to delete the hint only if nothing merged into it meanwhile. */
  readonly raw: Buffer;
}

export class HintCorruptError extends Error {
  constructor(hintKey: Buffer, reason: string) {
    super(`hint ${hintKey.toString('hex')} unreadable: ${reason}`);
    this.name = 'HintCorruptError';
  }
}

function encodeHintValue(
  target: HintTarget,
  createdMs: number,
  policy: ConflictPolicy,
  versions: VersionSet,
): Buffer {
  const address = Buffer.from(target.address, 'utf8');
  const head = Buffer.allocUnsafe(1 + 8 + 2);
  head[0] = HINT_FORMAT_V1;
  head.writeBigUInt64BE(BigInt(createdMs), 1);
  head.writeUInt16BE(address.length, 9);
  return Buffer.concat([
    head,
    address,
    Buffer.from([POLICY_CODES[policy]]),
    encodeVersionSet(versions),
  ]);
}

function decodeHint(hintKey: Buffer, raw: Buffer): Hint {
  if (raw.length < 12 || raw[0] !== HINT_FORMAT_V1) {
    throw new HintCorruptError(
      hintKey,
      `unknown format ${raw[0]} or short value (${raw.length} bytes)`,
    );
  }
  const createdMs = Number(raw.readBigUInt64BE(1));
  const addressLength = raw.readUInt16BE(9);
  const address = raw.toString('utf8', 11, 11 + addressLength);
  const policyCode = raw[11 + addressLength];
  const policy: ConflictPolicy | undefined =
    policyCode === 1 ? 'lww' : policyCode === 2 ? 'siblings' : undefined;
  if (!policy) throw new HintCorruptError(hintKey, `unknown policy code ${policyCode}`);
  const { targetNodeId, dataKey } = decodeHintKey(hintKey);
  const { tenantId, key } = decodeDataKey(dataKey);
  return {
    hintKey,
    target: { nodeId: targetNodeId, address },
    tenantId,
    key,
    createdMs,
    policy,
    versions: decodeVersionSet(raw.subarray(12 + addressLength)),
    raw,
  };
}

export class HintStore {
  private readonly lock = new KeyLock();
  private pendingCount = 0;

  private constructor(
    private readonly engine: Engine,
    private readonly now: () => number,
  ) {}

  /** Opens the store over an engine and counts the hints already there. */
  static open(engine: Engine, now: () => number = Date.now): HintStore {
    const store = new HintStore(engine, now);
    const start = Buffer.from([KEYSPACE_HINTS]);
    for (const _ of engine.iterate({ gte: start, lt: prefixEnd(start) })) store.pendingCount++;
    return store;
  }

  get pending(): number {
    return this.pendingCount;
  }

  add(
    target: HintTarget,
    dataKey: Buffer,
    policy: ConflictPolicy,
    versions: VersionSet,
  ): Promise<void> {
    const hintKey = encodeHintKey(target.nodeId, dataKey);
    return this.lock.run(hintKey, async () => {
      const raw = this.engine.get(hintKey);
      const existing = raw ? decodeHint(hintKey, raw) : undefined;
      const merged = existing ? sync(existing.versions, versions) : versions;
      const createdMs = existing?.createdMs ?? this.now();
      await this.engine.put(hintKey, encodeHintValue(target, createdMs, policy, merged));
      if (!existing) this.pendingCount++;
    });
  }

  /** Node ids that have hints waiting. */
  targets(): string[] {
    const nodes: string[] = [];
    let cursor: Buffer = Buffer.from([KEYSPACE_HINTS]);
    const end = prefixEnd(cursor);
    for (;;) {
      let found: string | undefined;
      for (const [hintKey] of this.engine.iterate({ gte: cursor, lt: end, limit: 1 })) {
        found = decodeHintKey(hintKey).targetNodeId;
      }
      if (found === undefined) return nodes;
      nodes.push(found);
      cursor = prefixEnd(hintKeyPrefix(found));
    }
  }

  /** Up to `limit` hints for one node, in key order. Unreadable hints are reported, not hidden. */
  list(targetNodeId: string, limit: number): Hint[] {
    const prefix = hintKeyPrefix(targetNodeId);
    const hints: Hint[] = [];
    for (const [hintKey, raw] of this.engine.iterate({
      gte: prefix,
      lt: prefixEnd(prefix),
      limit,
    })) {
      hints.push(decodeHint(Buffer.from(hintKey), Buffer.from(raw)));
    }
    return hints;
  }

  /** Deletes a hint if it is still exactly the one read (nothing merged into it since). */
  remove(hint: Hint): Promise<boolean> {
    return this.lock.run(hint.hintKey, async () => {
      const raw = this.engine.get(hint.hintKey);
      if (!raw || !raw.equals(hint.raw)) return false;
      await this.engine.delete(hint.hintKey);
      this.pendingCount--;
      return true;
    });
  }
}
