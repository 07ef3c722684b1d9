// The newest ring layout this node was raised with (docs/architecture.md#fencing), and what the
// node decides with it:
//
// - ownership: a write, delete or repair for a key that no layout the node holds at or above its
//   minimum ring version assigns to it (the replicas that version writes to: see writeSet) is refused
//   (NotAnOwnerError). The node keeps one layout, the newest; every raise sets the minimum and
//   the layout to the same version, so it is the only live version the node can judge. It cannot
//   judge, and accepts, a request at a version newer than its layout, a tenant the layout does
//   not list, a layout that does not list the node itself, and any request before its first
//   layout (or when the layout is older than the minimum);
// - hint owners: the replicas the newest layout writes a key to (writeSet), which a hint for a
//   node that lost the key goes to instead;
// - tombstones: while the layout shows a migration, compaction keeps them all (rule 7).
//
// A new layout is adopted only if its version is at least the current one's, and answered only
// once the layout file holds it (layout-file.ts), like the fence.
import {
  placementOfLayout,
  writtenSets,
  type LayoutMember,
  type RingLayout,
  type RingPlacement,
  type ReplicaSets,
} from '@pairdb/hashring';
import { NotAnOwnerError } from './errors';
import { readLayoutFile, writeLayoutFile } from './layout-file';

/** A layout with what every check needs of it, computed once. */
interface Judged {
  readonly layout: RingLayout;
  readonly placement: RingPlacement<LayoutMember>;
  /** False for a layout made for a cluster that does not list this node: it judges nothing. */
  readonly listsSelf: boolean;
}

/** A data write as the ownership check reads it. */
export interface OwnedWrite {
  readonly tenantId: string;
  readonly key: string;
  readonly ringVersion: bigint;
}

export interface NodeLayoutEvents {
  onRefused?(): void;
}

export class NodeLayout {
  private current: Judged | undefined;
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    readonly nodeId: string,
    layout: RingLayout | undefined,
    private readonly events: NodeLayoutEvents,
  ) {
    if (layout) this.current = this.judged(layout);
  }

  /** Loads the layout of data directory `dir`; a damaged file throws CorruptLayoutFileError. */
  static open(dir: string, nodeId: string, events: NodeLayoutEvents = {}): NodeLayout {
    return new NodeLayout(dir, nodeId, readLayoutFile(dir), events);
  }

  /** The newest layout, if the node was ever given one. */
  get layout(): RingLayout | undefined {
    return this.current?.layout;
  }

  /** Whether the newest layout shows a migration that has not finished. */
  get migrationRunning(): boolean {
    return this.current?.layout.change != null;
  }

  /**
   * Keeps `layout` if it is at least as new as the current one; resolves once the file holds
   * the newest layout the node has.
   */
  async adopt(layout: RingLayout): Promise<void> {
    const newer = !this.current || layout.ringVersion >= this.current.layout.ringVersion;
    if (newer) this.current = this.judged(layout);
    const write = this.writes.then(async () => {
      const newest = this.current?.layout;
      if (newest) await writeLayoutFile(this.dir, newest);
    });
    // A failed write fails its caller; the next raise writes again.
    this.writes = write.catch(() => undefined);
    await write;
  }

  /** Refuses `write` with NotAnOwnerError when the layout can judge it and assigns it elsewhere. */
  checkOwner(write: OwnedWrite, minRingVersion: bigint): void {
    const current = this.current;
    if (!current) return;
    const { layout, placement, listsSelf } = current;
    if (!listsSelf) return;
    if (layout.ringVersion < minRingVersion || write.ringVersion > layout.ringVersion) return;
    const factor = layout.replicationFactors.get(write.tenantId);
    if (factor === undefined) return;
    const sets = placement.replicaSets(write.tenantId, write.key, factor);
    const owns = writeSet(sets, layout).some((member) => member.nodeId === this.nodeId);
    if (owns) return;
    this.events.onRefused?.();
    throw new NotAnOwnerError(
      this.nodeId,
      write.tenantId,
      write.key,
      write.ringVersion,
      layout.ringVersion,
    );
  }

  private judged(layout: RingLayout): Judged {
    return {
      layout,
      placement: placementOfLayout(layout),
      listsSelf: layout.members.some((member) => member.nodeId === this.nodeId),
    };
  }

  /**
   * The nodes the newest layout assigns `tenantId:key` to (old and new replicas while it moves),
   * or undefined when it cannot say (no layout, a tenant it does not list, no member).
   */
  ownersOf(tenantId: string, key: string): readonly LayoutMember[] | undefined {
    const current = this.current;
    if (!current) return undefined;
    const factor = current.layout.replicationFactors.get(tenantId);
    if (factor === undefined) return undefined;
    const sets = current.placement.replicaSets(tenantId, key, factor);
    const owners = new Map<string, LayoutMember>();
    for (const member of writeSet(sets, current.layout)) owners.set(member.nodeId, member);
    return owners.size > 0 ? [...owners.values()] : undefined;
  }
}

/** The replicas the layout's version writes a key to (writtenSets, as the coordinator's). */
function writeSet(sets: ReplicaSets<LayoutMember>, layout: RingLayout): readonly LayoutMember[] {
  const written = writtenSets(layout.change?.phase);
  return [...(written.old ? sets.old : []), ...(written.new ? sets.new : [])];
}
