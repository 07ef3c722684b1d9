// Per-tenant, per-segment digest accumulators (docs/architecture.md#anti-entropy). A segment's
// digest is the XOR of entryHash(engine key, encoded set) over the keys it holds, with their
// count. XOR makes it incremental and order-free: a change of one key XORs out the hash of what
// it held and XORs in the hash of what it holds now, and two accumulators over disjoint changes
// merge by XOR (counts add). Equal key sets with equal (canonical) encodings give equal digests
// on every node.
//
// Memory: per tenant holding keys, DIGEST_SEGMENTS * (16 + 4) bytes (320 KiB at 2^14 segments),
// allocated on the tenant's first key.
import { createHash } from 'node:crypto';
import { DIGEST_SEGMENTS, segmentOfToken } from '@pairdb/hashring';

/** Bytes of an entry hash (the first of SHA-256): collisions are out of reach at 2^-128. */
export const ENTRY_HASH_BYTES = 16;

/** Offsets into a data key (versions/engine-keys.ts): keyspace byte, 8-byte token, tenant. */
const TOKEN_OFFSET = 1;
const TENANT_LENGTH_OFFSET = 9;
const TENANT_OFFSET = 10;

/** The hash a key contributes: SHA-256 of (key length, key, encoded set), truncated. */
export function entryHash(engineKey: Buffer, encoded: Buffer): Buffer {
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(engineKey.length, 0);
  return createHash('sha256')
    .update(length)
    .update(engineKey)
    .update(encoded)
    .digest()
    .subarray(0, ENTRY_HASH_BYTES);
}

/** Tenant and segment of a data key, read without decoding the key's text. */
export function segmentOfKey(engineKey: Buffer): { tenantId: string; segment: number } {
  const tenantEnd = TENANT_OFFSET + engineKey[TENANT_LENGTH_OFFSET]!;
  return {
    tenantId: engineKey.toString('utf8', TENANT_OFFSET, tenantEnd),
    segment: segmentOfToken(engineKey.readBigUInt64BE(TOKEN_OFFSET)),
  };
}

/** One segment's (or one range piece's) digest: the XOR of its keys' hashes and their count. */
export interface SegmentDigest {
  readonly xor: Buffer;
  readonly keyCount: number;
}

/** An accumulator for a piece of the ring, used by scans (range edges, a fallback). */
export class DigestAccumulator {
  readonly xor = Buffer.alloc(ENTRY_HASH_BYTES);
  keyCount = 0;

  add(hash: Buffer): void {
    xorInto(this.xor, 0, hash);
    this.keyCount++;
  }
}

class TenantSegments {
  readonly xor = new Uint8Array(DIGEST_SEGMENTS * ENTRY_HASH_BYTES);
  /** Signed: a delta recorded during a rebuild may remove more keys than it adds. */
  readonly counts = new Int32Array(DIGEST_SEGMENTS);
}

/** Every tenant's segments. */
export class SegmentDigests {
  private readonly tenants = new Map<string, TenantSegments>();

  /** Records one key's change: `previous` and `next` are entry hashes, undefined when absent. */
  change(engineKey: Buffer, previous: Buffer | undefined, next: Buffer | undefined): void {
    if (previous === undefined && next === undefined) return;
    const { tenantId, segment } = segmentOfKey(engineKey);
    const segments = this.segmentsOf(tenantId);
    const offset = segment * ENTRY_HASH_BYTES;
    if (previous) {
      xorInto(segments.xor, offset, previous);
      segments.counts[segment]!--;
    }
    if (next) {
      xorInto(segments.xor, offset, next);
      segments.counts[segment]!++;
    }
  }

  /** Adds what `other` recorded (XOR, counts added): changes made while this was built. */
  merge(other: SegmentDigests): void {
    for (const [tenantId, theirs] of other.tenants) {
      const ours = this.segmentsOf(tenantId);
      for (let i = 0; i < ours.xor.length; i++) ours.xor[i]! ^= theirs.xor[i]!;
      for (let i = 0; i < DIGEST_SEGMENTS; i++) ours.counts[i]! += theirs.counts[i]!;
    }
  }

  /** The digest of one segment for `tenantId`, or of every tenant's keys when it is empty. */
  segment(tenantId: string, segment: number): SegmentDigest {
    const xor = Buffer.alloc(ENTRY_HASH_BYTES);
    let keyCount = 0;
    const offset = segment * ENTRY_HASH_BYTES;
    const selected = tenantId ? [this.tenants.get(tenantId)] : [...this.tenants.values()];
    for (const segments of selected) {
      if (!segments) continue;
      xorInto(xor, 0, segments.xor.subarray(offset, offset + ENTRY_HASH_BYTES));
      keyCount += segments.counts[segment]!;
    }
    return { xor, keyCount };
  }

  private segmentsOf(tenantId: string): TenantSegments {
    let segments = this.tenants.get(tenantId);
    if (!segments) this.tenants.set(tenantId, (segments = new TenantSegments()));
    return segments;
  }
}

function xorInto(target: Uint8Array, offset: number, hash: Uint8Array): void {
  for (let i = 0; i < ENTRY_HASH_BYTES; i++) target[offset + i]! ^= hash[i]!;
}
