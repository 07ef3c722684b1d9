// Anti-entropy digests: a token range cut into equal sub-ranges (buckets), each summarized by
// a SHA-256 over its keys and encoded version sets in key order. Two replicas holding the same
// versions give the same digests (encodings are canonical), so only differing buckets, i.e.
// narrow token sub-ranges, need to be exchanged.
import { createHash, type Hash } from 'node:crypto';
import { bucketOfToken, type Token } from '@pairdb/hashring';
import type { Engine, Snapshot } from '../engine';
import { scanTokenRangeEncoded } from './token-range-scan';

/** Buckets when the caller does not say: 1024 sub-ranges keep each repair small. */
export const DIGEST_BUCKETS_DEFAULT = 1024;
/** Upper bound on buckets per request: bounds the reply size. */
export const DIGEST_BUCKETS_MAX = 65_536;

export interface RangeDigest {
  /** One per bucket; empty buffer for a bucket with no keys. */
  readonly buckets: Buffer[];
  readonly keyCount: number;
}

export function digestTokenRange(
  engine: Engine,
  query: { start: Token; end: Token; tenantId?: string; bucketCount: number },
  snapshot: Snapshot,
): RangeDigest {
  const hashes = new Map<number, Hash>();
  let keyCount = 0;
  for (const entry of scanTokenRangeEncoded(engine, query, snapshot)) {
    const bucket = bucketOfToken(query, query.bucketCount, entry.token);
    let hash = hashes.get(bucket);
    if (!hash) {
      hash = createHash('sha256');
      hashes.set(bucket, hash);
    }
    const encoded = entry.encoded;
    const lengths = Buffer.allocUnsafe(8);
    lengths.writeUInt32BE(entry.engineKey.length, 0);
    lengths.writeUInt32BE(encoded.length, 4);
    hash.update(lengths).update(entry.engineKey).update(encoded);
    keyCount++;
  }
  const buckets: Buffer[] = [];
  for (let i = 0; i < query.bucketCount; i++)
    buckets.push(hashes.get(i)?.digest() ?? Buffer.alloc(0));
  return { buckets, keyCount };
}
