// One ring version's layout and the placement it implies (docs/architecture.md#the-ring-and-placement).
// The coordinator computes request placement from it (RingView) and a storage node judges with it
// whether a key is its own; both use this one implementation so they cannot disagree.
//
// Outside a migration there is one ring: the active members. While a migration runs there are
// two, `old` (before the change) and `new` (after it), and a key has a replica set on each:
//
//   change                     old ring                   new ring
//   none                       active                     the same ring
//   node_addition of X         active                     active + X (joining)
//   node_deletion of X         active + X (draining)      active
//   replication_factor_change  active                     the same ring; the tenant's factor
//                                                         goes from `from` to `to`
//
// Which set reads and writes use in each phase is the coordinator's business (RingView).
import { HashRing, type RingNode } from './hash-ring';
import { keyToken, type Token } from './token';

export type MemberState = 'joining' | 'active' | 'draining' | 'inactive';
export type LayoutChangeType = 'node_addition' | 'node_deletion' | 'replication_factor_change';

/** A storage node as a layout lists it. */
export interface LayoutMember {
  readonly nodeId: string;
  readonly host: string;
  readonly port: number;
  readonly virtualNodes: number;
  readonly state: MemberState;
}

/** The running migration, as far as it shapes placement. */
export interface LayoutChange {
  readonly migrationId: string;
  readonly type: LayoutChangeType;
  /** The node that joins or leaves; for a factor change, whatever the migration row holds. */
  readonly nodeId: string;
  /** The tenant whose factor changes; null for a node change. */
  readonly tenantId: string | null;
  readonly fromReplicationFactor: number | null;
  readonly toReplicationFactor: number | null;
  /** The migration's phase as the metadata store names it; placement does not depend on it. */
  readonly phase: string;
}

/** Everything a node needs to place any key under one ring version. */
export interface RingLayout {
  readonly ringVersion: bigint;
  readonly members: readonly LayoutMember[];
  /** Null: nothing moves in this version. */
  readonly change: LayoutChange | null;
  /** Every tenant's replication factor (its row; a factor change's own tenant uses `change`). */
  readonly replicationFactors: ReadonlyMap<string, number>;
}

/** A key's replicas on both rings, and the factor each side has. */
export interface ReplicaSets<N> {
  readonly old: readonly N[];
  readonly new: readonly N[];
  readonly oldFactor: number;
  readonly newFactor: number;
}

/** The old and new rings of one version, for the tenant and key questions placement asks. */
export class RingPlacement<N extends RingNode> {
  /** The ring before the change (the only ring outside a migration). */
  readonly oldRing: HashRing<N>;
  /** The ring after the change; the same object as oldRing for a factor change or no change. */
  readonly newRing: HashRing<N>;

  /**
   * @param members every registered node with its state, as `toNode` turns it into a ring node
   * @param change the running migration, or null
   */
  constructor(
    members: readonly { readonly node: N; readonly state: MemberState }[],
    readonly change: Omit<LayoutChange, 'migrationId' | 'phase'> | null,
  ) {
    const active = members.filter((m) => m.state === 'active').map((m) => m.node);
    const changing = change && members.find((m) => m.node.nodeId === change.nodeId)?.node;
    const withChanging = changing ? [...active, changing] : active;
    this.oldRing = new HashRing(change?.type === 'node_deletion' ? withChanging : active);
    if (change?.type === 'node_addition' && changing) {
      this.newRing = new HashRing(withChanging);
    } else if (change?.type === 'node_deletion' && changing) {
      this.newRing = new HashRing(active);
    } else {
      this.newRing = this.oldRing;
    }
  }

  /** Each side's factor for a tenant whose row says `replicationFactor`. */
  factorsOf(tenantId: string, replicationFactor: number): { old: number; new: number } {
    const change = this.change;
    if (change?.type === 'replication_factor_change' && change.tenantId === tenantId) {
      return {
        old: change.fromReplicationFactor ?? replicationFactor,
        new: change.toReplicationFactor ?? replicationFactor,
      };
    }
    return { old: replicationFactor, new: replicationFactor };
  }

  /** The replicas of `tenantId:key` on both rings (equal lists when nothing moves). */
  replicaSets(tenantId: string, key: string, replicationFactor: number): ReplicaSets<N> {
    return this.replicaSetsAt(keyToken(tenantId, key), tenantId, replicationFactor);
  }

  replicaSetsAt(token: Token, tenantId: string, replicationFactor: number): ReplicaSets<N> {
    const factors = this.factorsOf(tenantId, replicationFactor);
    return {
      old: preference(this.oldRing, token, factors.old),
      new: preference(this.newRing, token, factors.new),
      oldFactor: factors.old,
      newFactor: factors.new,
    };
  }
}

/** Which of a key's two replica sets a ring version writes to. */
export interface WrittenSets {
  readonly old: boolean;
  readonly new: boolean;
}

/**
 * The sets a version writes to, by its migration's phase (undefined: nothing moves), for the
 * coordinator's placement and a storage node's ownership check alike
 * (docs/architecture.md#membership-and-migrations): both while a range moves, `new` alone in
 * cleanup (the old owners are dropping it), `old` alone while rolling back (the destinations are
 * dropping it) or when nothing moves (the sets are equal).
 */
export function writtenSets(phase: string | undefined): WrittenSets {
  if (phase === undefined || phase === 'rolling_back') return { old: true, new: false };
  if (phase === 'cleanup') return { old: false, new: true };
  return { old: true, new: true };
}

/** Placement of a whole layout, members as themselves. */
export function placementOfLayout(layout: RingLayout): RingPlacement<LayoutMember> {
  return new RingPlacement(
    layout.members.map((member) => ({ node: member, state: member.state })),
    layout.change,
  );
}

function preference<N extends RingNode>(ring: HashRing<N>, token: Token, factor: number): N[] {
  if (ring.size === 0) return [];
  return ring.preferenceList(token, factor).map((id) => ring.node(id));
}
