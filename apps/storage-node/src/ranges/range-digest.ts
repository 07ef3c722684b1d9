// Anti-entropy digests of a token range (docs/architecture.md#anti-entropy): the range cut at
// every digest segment boundary (digestBucketsOf in @pairdb/hashring), one digest per piece.
// A whole segment is answered from the digest index, in memory; a partial one (the range's
// edges), or any piece while the index is being rebuilt, by scanning its keys. A scanned piece
// is cached with the index's change count of its segment and reused until a change lands there,
// so a pass over unchanged replicas scans nothing once their edges are cached.
//
// A bucket's digest on the wire: the XOR of its keys' entry hashes (16 bytes) then their count
// (4 bytes, big-endian); empty for a bucket with no keys. Equal versions give equal digests on
// every node (encodings are canonical).
import { digestBucketsOf, type DigestBucket, type TokenRange } from '@pairdb/hashring';
import { LRUCache } from 'lru-cache';
import type { Engine, Snapshot } from '../engine';
import type { DigestIndex } from '../digests/digest-index';
import {
  DigestAccumulator,
  entryHash,
  ENTRY_HASH_BYTES,
  type SegmentDigest,
} from '../digests/segment-digests';
import { scanTokenRangeEncoded } from './token-range-scan';

/**
 * Scanned pieces kept: two edges per range a node owns, per tenant, fit (a node owning a few
 * thousand ranges of a few tenants); each entry is under 200 bytes.
 */
export const EDGE_CACHE_ENTRIES_MAX = 65_536;

export interface RangeDigest {
  /** One per bucket of digestBucketsOf(range); empty for a bucket with no keys. */
  readonly buckets: Buffer[];
  readonly keyCount: number;
}

export interface RangeDigestQuery extends TokenRange {
  /** Only this tenant's keys; empty means every tenant. */
  readonly tenantId: string;
}

export interface RangeDigestEvents {
  /** Keys read to answer digests (edges, or everything while the index is not ready). */
  onKeysScanned?(keys: number): void;
}

interface CachedPiece {
  readonly changeCount: number;
  readonly digest: SegmentDigest;
}

export class RangeDigests {
  private readonly scanned = new LRUCache<string, CachedPiece>({ max: EDGE_CACHE_ENTRIES_MAX });

  constructor(
    private readonly engine: Engine,
    private readonly index: DigestIndex,
    private readonly events: RangeDigestEvents = {},
  ) {}

  /** Synchronous: no commit records a change between a piece's change count and its scan. */
  digest(query: RangeDigestQuery): RangeDigest {
    let snapshot: Snapshot | undefined;
    try {
      const buckets: Buffer[] = [];
      let keyCount = 0;
      for (const bucket of digestBucketsOf(query)) {
        const digest =
          bucket.whole && this.index.ready
            ? this.index.segment(query.tenantId, bucket.segment)
            : this.scannedPiece(
                query.tenantId,
                bucket,
                () => (snapshot ??= this.engine.snapshot()),
              );
        buckets.push(digestToWire(digest));
        keyCount += digest.keyCount;
      }
      return { buckets, keyCount };
    } finally {
      snapshot?.release();
    }
  }

  private scannedPiece(
    tenantId: string,
    bucket: DigestBucket,
    snapshotOf: () => Snapshot,
  ): SegmentDigest {
    const cacheKey = `${tenantId}\u0000${bucket.range.start}\u0000${bucket.range.end}`;
    // Read before the snapshot: a change the snapshot misses moves the count after this.
    const changeCount = this.index.changeCount(bucket.segment);
    const cached = this.scanned.get(cacheKey);
    if (cached?.changeCount === changeCount) return cached.digest;
    const accumulator = new DigestAccumulator();
    for (const entry of scanTokenRangeEncoded(
      this.engine,
      { ...bucket.range, tenantId },
      snapshotOf(),
    )) {
      accumulator.add(entryHash(entry.engineKey, entry.encoded));
    }
    this.events.onKeysScanned?.(accumulator.keyCount);
    const digest = { xor: accumulator.xor, keyCount: accumulator.keyCount };
    this.scanned.set(cacheKey, { changeCount, digest });
    return digest;
  }
}

function digestToWire(digest: SegmentDigest): Buffer {
  if (digest.keyCount === 0) return Buffer.alloc(0);
  const out = Buffer.allocUnsafe(ENTRY_HASH_BYTES + 4);
  digest.xor.copy(out, 0);
  out.writeUInt32BE(digest.keyCount, ENTRY_HASH_BYTES);
  return out;
}
