// Anti-entropy digests: a token range cut into equal sub-ranges (buckets), each summarized by
// a SHA-256 over its keys and encoded version sets in key order. Two replicas holding the same
// versions give the same digests (encodings are canonical), so only differing buckets, i.e.
// narrow token sub-ranges, need to be exchanged.
import { createHash, type Hash } from 'node:crypto';
import { TOKEN_SPACE, type Token } from '@pairdb/hashring';
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

function rangeWidth(start: Token, end: Token): bigint {
  return start < end ? end - start : TOKEN_SPACE - start + end;
}

/** The bucket of a token inside the range (start, end]: equal-width sub-ranges from start. */
export function bucketOf(token: Token, start: Token, end: Token, bucketCount: number): number {
  const offset = (token - start - 1n + TOKEN_SPACE) % TOKEN_SPACE;
  return Number((offset * BigInt(bucketCount)) / rangeWidth(start, end));
}

export function digestTokenRange(
  engine: Engine,
  query: { start: Token; end: Token; tenantId?: string; bucketCount: number },
  snapshot: Snapshot,
): RangeDigest {
  const hashes = new Map<number, Hash>();
  let keyCount = 0;
  for (const entry of scanTokenRangeEncoded(engine, query, snapshot)) {
    const bucket = bucketOf(entry.token, query.start, query.end, query.bucketCount);
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
