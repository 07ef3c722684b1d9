// Token ranges: half-open arcs (start, end] of the ring.
//
// A range holds every token t with start < t <= end, read clockwise. When end <= start the arc
// wraps past TOKEN_MAX to 0: it holds start < t <= TOKEN_MAX and 0 <= t <= end. The one range
// with start === end is the whole ring (it arises only when a single boundary exists). The
// ranges a ring reports partition the token space: no token is in two of them, none in no range.

import { TOKEN_SPACE, type Token } from './token';

/** The arc (start, end], wrapping past TOKEN_MAX when end <= start; start === end is everything. */
export interface TokenRange {
  readonly start: Token;
  readonly end: Token;
}

/** A range and the nodes that replicate it, in preference order (the primary first). */
export interface ReplicatedRange extends TokenRange {
  readonly replicas: readonly string[];
}

/** Whether `token` lies in `range`. */
export function rangeContains(range: TokenRange, token: Token): boolean {
  const { start, end } = range;
  if (start < end) return start < token && token <= end;
  if (start > end) return token > start || token <= end;
  return true;
}

/** Number of tokens in `range` (2^64 for the whole ring). */
export function rangeWidth(range: TokenRange): bigint {
  const width = (range.end - range.start + TOKEN_SPACE) % TOKEN_SPACE;
  return width === 0n ? TOKEN_SPACE : width;
}

/** Fraction of the ring that `range` covers, in (0, 1]. */
export function rangeFraction(range: TokenRange): number {
  return Number(rangeWidth(range)) / Number(TOKEN_SPACE);
}

/**
 * The digest bucket of `token` in `range` cut into `bucketCount` equal-width sub-ranges from its
 * start (docs/architecture.md#anti-entropy): storage nodes hash each bucket's keys together, and
 * a coordinator scans only the buckets whose hashes differ (bucketRange). `token` must lie in
 * `range`.
 */
export function bucketOfToken(range: TokenRange, bucketCount: number, token: Token): number {
  const offset = (token - range.start - 1n + TOKEN_SPACE) % TOKEN_SPACE;
  return Number((offset * BigInt(bucketCount)) / rangeWidth(range));
}

/**
 * The tokens of bucket `index` (those bucketOfToken puts there) as a range, or null when the
 * bucket holds none (a range narrower than its bucket count).
 */
export function bucketRange(
  range: TokenRange,
  bucketCount: number,
  index: number,
): TokenRange | null {
  const width = rangeWidth(range);
  const count = BigInt(bucketCount);
  // Bucket i holds the offsets o (token = start + 1 + o) with floor(o * count / width) = i.
  const first = ceilDiv(BigInt(index) * width, count);
  const next = ceilDiv(BigInt(index + 1) * width, count);
  if (next === first) return null;
  return {
    start: (range.start + first) % TOKEN_SPACE,
    end: (range.start + next) % TOKEN_SPACE,
  };
}

function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator - 1n) / denominator;
}
