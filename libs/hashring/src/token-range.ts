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
