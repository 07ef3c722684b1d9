// Differences between two rings, for migrations: which arcs change replica sets and how.
//
// Law: for every token t, if the replica sets of t in `source` and `target` (preference lists of
// length sourceReplicationFactor and targetReplicationFactor, compared as sets) differ, exactly one move contains t and carries
// both lists; if they are equal, no move contains t. A change of order alone (a new primary
// among the same nodes) moves no data and is not reported.

import { sameList, type HashRing, type RingNode } from './hash-ring';
import type { Token } from './token';
import type { TokenRange } from './token-range';

/** An arc whose replica set differs between the source ring and the target ring. */
export interface RangeMove extends TokenRange {
  /** Replicas in the source ring, primary first (empty if the source ring is empty). */
  readonly sourceReplicas: readonly string[];
  /** Replicas in the target ring, primary first (empty if the target ring is empty). */
  readonly targetReplicas: readonly string[];
  /** Nodes that must receive the arc's data: in the target replicas, not in the source ones. */
  readonly gained: readonly string[];
  /** Nodes that may drop the arc after cutover: in the source replicas, not the target ones. */
  readonly lost: readonly string[];
}

/**
 * The arcs whose replica set changes from `source` at `replicationFactor` to `target` at
 * `targetReplicationFactor` (default: the same; a tenant's factor change diffs one ring with
 * itself), sorted by end; the first may wrap past TOKEN_MAX. Adjacent arcs with the same lists
 * are merged.
 */
export function diffRings(
  source: HashRing<RingNode>,
  target: HashRing<RingNode>,
  replicationFactor: number,
  targetReplicationFactor = replicationFactor,
): RangeMove[] {
  const boundaries = unionOfRangeEnds(source, target, replicationFactor, targetReplicationFactor);
  const moves: RangeMove[] = [];
  let start = boundaries[boundaries.length - 1];
  for (const end of boundaries) {
    // No boundary of either ring lies inside (start, end], so `end` speaks for the whole arc.
    const sourceReplicas = source.preferenceList(end, replicationFactor);
    const targetReplicas = target.preferenceList(end, targetReplicationFactor);
    const gained = targetReplicas.filter((nodeId) => !sourceReplicas.includes(nodeId));
    const lost = sourceReplicas.filter((nodeId) => !targetReplicas.includes(nodeId));
    if (gained.length > 0 || lost.length > 0) {
      const move = { start, end, sourceReplicas, targetReplicas, gained, lost };
      const previous = moves[moves.length - 1];
      if (previous !== undefined && previous.end === start && sameMove(previous, move)) {
        moves[moves.length - 1] = { ...previous, end };
      } else {
        moves.push(move);
      }
    }
    start = end;
  }
  return mergeAcrossWrap(moves);
}

function unionOfRangeEnds(
  source: HashRing<RingNode>,
  target: HashRing<RingNode>,
  sourceReplicationFactor: number,
  targetReplicationFactor: number,
): Token[] {
  const ends = new Set<Token>();
  for (const range of source.ranges(sourceReplicationFactor)) ends.add(range.end);
  for (const range of target.ranges(targetReplicationFactor)) ends.add(range.end);
  return [...ends].sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));
}

function sameMove(left: RangeMove, right: RangeMove): boolean {
  return (
    sameList(left.sourceReplicas, right.sourceReplicas) &&
    sameList(left.targetReplicas, right.targetReplicas)
  );
}

/** Joins the last move into the first when they meet at the wrap point with the same lists. */
function mergeAcrossWrap(moves: RangeMove[]): RangeMove[] {
  if (moves.length < 2) return moves;
  const first = moves[0];
  const last = moves[moves.length - 1];
  if (last.end !== first.start || !sameMove(first, last)) return moves;
  return [{ ...first, start: last.start }, ...moves.slice(1, -1)];
}
