// The ranges an anti-entropy pass compares (docs/architecture.md#anti-entropy): for each tenant,
// the ring cut at every boundary of the old and the new ring, each arc with the replicas its
// ring version WRITES to (RingView.placementAt): both sets of a moving range before cleanup,
// `new` only in cleanup, `old` only while rolling back; the storage node judges by the
// same writtenSets. Adjacent arcs with the same owners are merged, and an arc wider than RANGE_WIDTH_MAX is
// cut, so one digest never scans more than a small share of a node's keys.
import { TOKEN_SPACE, rangeWidth, type Token, type TokenRange } from '@pairdb/hashring';
import type { ConflictPolicy } from '@pairdb/wire-contract';
import type { Tenant } from '../metadata';
import type { ReplicaNode } from '../replicas/replica-transport';
import type { RingView } from '../routing/ring-view';

/**
 * The widest range compared at once: 1/256 of the ring. A 3-node cluster at RF 3 has every key
 * on every node, so unmerged it would be one range whose digest scans everything.
 */
export const RANGE_WIDTH_MAX = TOKEN_SPACE / 256n;

export interface RepairRange {
  readonly tenantId: string;
  readonly policy: ConflictPolicy;
  readonly range: TokenRange;
  /** Every replica the range's ring version writes to; the only nodes repaired into. */
  readonly owners: readonly ReplicaNode[];
}

/**
 * The ranges of `tenant` under `view`. A range with a single owner (replication factor 1) has
 * nothing to compare, but its pass still dates the owner's repair horizon, so its tombstones
 * can be purged (docs/architecture.md#tombstone-purge).
 */
export function repairRangesOf(view: RingView, tenant: Tenant): RepairRange[] {
  return arcsOf(view, tenant)
    .filter((arc) => arc.owners.length >= 1)
    .flatMap((arc) =>
      cut(arc.range).map((range) => ({
        tenantId: tenant.tenantId,
        policy: tenant.conflictResolution,
        range,
        owners: arc.owners,
      })),
    );
}

/**
 * The owners `view` gives every token of `range`, or null when they differ inside it (a range
 * planned under an older view may straddle a new boundary).
 */
export function ownersThroughout(
  view: RingView,
  tenant: Tenant,
  range: TokenRange,
): readonly ReplicaNode[] | null {
  const arc = arcsOf(view, tenant).find((candidate) => within(range, candidate.range));
  return arc ? arc.owners : null;
}

interface Arc {
  range: TokenRange;
  readonly owners: readonly ReplicaNode[];
}

/** The ring cut where the owners change, each arc with its owners. */
function arcsOf(view: RingView, tenant: Tenant): Arc[] {
  const ends = boundaries(view, tenant);
  const arcs: Arc[] = [];
  if (ends.length === 0) return arcs;
  let start = ends[ends.length - 1]!;
  for (const end of ends) {
    // No boundary lies inside (start, end], so `end` speaks for the whole arc.
    const owners = writeOwnersAt(view, tenant, end);
    const previous = arcs[arcs.length - 1];
    if (previous && previous.range.end === start && sameOwners(previous.owners, owners)) {
      previous.range = { start: previous.range.start, end };
    } else {
      arcs.push({ range: { start, end }, owners });
    }
    start = end;
  }
  const first = arcs[0]!;
  const last = arcs[arcs.length - 1]!;
  if (
    arcs.length > 1 &&
    last.range.end === first.range.start &&
    sameOwners(first.owners, last.owners)
  ) {
    first.range = { start: last.range.start, end: first.range.end };
    arcs.pop();
  }
  return arcs;
}

function boundaries(view: RingView, tenant: Tenant): Token[] {
  const rings = view.ringsFor(tenant.tenantId, tenant.replicationFactor);
  const ends = new Set<Token>();
  if (rings.old.size > 0) for (const r of rings.old.ranges(rings.oldFactor)) ends.add(r.end);
  if (rings.new.size > 0) for (const r of rings.new.ranges(rings.newFactor)) ends.add(r.end);
  return [...ends].sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));
}

function writeOwnersAt(view: RingView, tenant: Tenant, token: Token): ReplicaNode[] {
  const placement = view.placementAt(token, tenant.tenantId, tenant.replicationFactor);
  const owners = new Map<string, ReplicaNode>();
  for (const set of placement.writes)
    for (const node of set.replicas) owners.set(node.nodeId, node);
  return [...owners.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
}

function sameOwners(left: readonly ReplicaNode[], right: readonly ReplicaNode[]): boolean {
  return left.length === right.length && left.every((node, i) => node.nodeId === right[i]!.nodeId);
}

/** `range` in equal pieces of at most RANGE_WIDTH_MAX tokens. */
function cut(range: TokenRange): TokenRange[] {
  const width = rangeWidth(range);
  const pieces = (width + RANGE_WIDTH_MAX - 1n) / RANGE_WIDTH_MAX;
  if (pieces <= 1n) return [range];
  const result: TokenRange[] = [];
  for (let index = 0n; index < pieces; index++) {
    result.push({
      start: (range.start + (width * index) / pieces) % TOKEN_SPACE,
      end: (range.start + (width * (index + 1n)) / pieces) % TOKEN_SPACE,
    });
  }
  return result;
}

/** Whether every token of `inner` lies in `outer`. */
function within(inner: TokenRange, outer: TokenRange): boolean {
  const offset = (inner.start - outer.start + TOKEN_SPACE) % TOKEN_SPACE;
  const outerWidth = rangeWidth(outer);
  return outerWidth === TOKEN_SPACE || offset + rangeWidth(inner) <= outerWidth;
}
