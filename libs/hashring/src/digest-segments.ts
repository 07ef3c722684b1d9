// Digest segments: the fixed cut of the token space that anti-entropy digests use
// (docs/architecture.md#anti-entropy). Segment s holds the tokens whose top DIGEST_SEGMENT_BITS
// bits are s, so every storage node keeps its per-segment digests over the same tokens whatever
// ranges it owns, and a coordinator compares two owners' digests of a range bucket by bucket.
//
// A range's digest buckets are the range cut at every segment boundary, in ring order from its
// start: whole segments inside it, and at most two partial pieces at its edges (one segment cut
// on both sides when the range lies inside it; a whole-ring range that starts mid-segment gives
// that segment twice, once at each end). Storage nodes and coordinators both cut with
// digestBucketsOf, the one statement of the rule.

import { TOKEN_BITS, TOKEN_SPACE, type Token } from './token';
import { rangeWidth, type TokenRange } from './token-range';

/**
 * 2^14 segments: a range of 1/256 of the ring (the coordinator's widest) spans 64 of them, so a
 * difference is narrowed to 1/16384 of the keys; a node's index costs 320 KiB per tenant holding keys.
 */
export const DIGEST_SEGMENT_BITS = 14;
/** Segments in the token space. */
export const DIGEST_SEGMENTS = 1 << DIGEST_SEGMENT_BITS;
/** Tokens per segment. */
export const DIGEST_SEGMENT_WIDTH: bigint = TOKEN_SPACE >> BigInt(DIGEST_SEGMENT_BITS);

const SEGMENT_SHIFT = BigInt(TOKEN_BITS - DIGEST_SEGMENT_BITS);

/** One bucket of a range's digest: a piece of one segment. */
export interface DigestBucket {
  readonly range: TokenRange;
  readonly segment: number;
  /** The piece is its whole segment (a node answers it from its index, without a scan). */
  readonly whole: boolean;
}

/** The segment holding `token`. */
export function segmentOfToken(token: Token): number {
  return Number(token >> SEGMENT_SHIFT);
}

/** `range` cut at every segment boundary, in ring order from its start (see the file header). */
export function digestBucketsOf(range: TokenRange): DigestBucket[] {
  const buckets: DigestBucket[] = [];
  let cursor = range.start;
  let remaining = rangeWidth(range);
  while (remaining > 0n) {
    const first = (cursor + 1n) % TOKEN_SPACE;
    const segment = segmentOfToken(first);
    const segmentEnd = (BigInt(segment) + 1n) * DIGEST_SEGMENT_WIDTH - 1n;
    const take = remaining < segmentEnd - first + 1n ? remaining : segmentEnd - first + 1n;
    const end = (cursor + take) % TOKEN_SPACE;
    buckets.push({ range: { start: cursor, end }, segment, whole: take === DIGEST_SEGMENT_WIDTH });
    cursor = end;
    remaining -= take;
  }
  return buckets;
}
