// The consistent-hashing ring: physical nodes, each placed at `virtualNodes` tokens.
//
// Laws (property tests in test/hash-ring.spec.ts check them):
// - Determinism: the ring depends only on the set of (nodeId, virtualNodes) pairs, not on their
//   order or on the process (vnode tokens: see token.ts; ties: see virtual-node-table.ts).
// - Preference list: for a token t and a count n, walk the vnodes clockwise from the first vnode
//   with token >= t (wrapping) and take each physical node the first time it appears, until
//   min(n, node count) distinct nodes are chosen. The primary is the first of them.
// - Monotonicity (consistent hashing): adding a node X changes a key's preference list only by
//   inserting X and dropping the last entry; the other nodes keep their relative order.
// - Ranges: `ranges(rf)` partitions the token space into arcs whose tokens all share one
//   preference list of length rf, and agrees with `preferenceList(t, rf)` for every token t.

import {
  DuplicateNodeIdError,
  EmptyNodeIdError,
  EmptyRingError,
  InvalidReplicaCountError,
  InvalidVirtualNodeCountError,
  UnknownNodeError,
} from './errors';
import { assertToken, virtualNodeToken, type Token } from './token';
import { rangeFraction, type ReplicatedRange } from './token-range';
import { VirtualNodeTable, type VirtualNodeEntry } from './virtual-node-table';

/**
 * Virtual nodes per physical node when a node does not say
 * (docs/architecture.md#the-ring-and-placement).
 */
export const DEFAULT_VIRTUAL_NODES = 150;

/** At least one vnode, or the node would own nothing. */
export const VIRTUAL_NODES_MIN = 1;

/** Caps ring build time and memory (12 bytes per vnode) for a mistyped weight. */
export const VIRTUAL_NODES_MAX = 4096;

/** A ring member. Extra fields (address, state, ...) ride along and come back from `node()`. */
export interface RingNode {
  readonly nodeId: string;
  /** Vnodes for this node, an integer in 1..4096; default 150. More vnodes, more data. */
  readonly virtualNodes?: number;
}

export class HashRing<TNode extends RingNode = RingNode> {
  /** Members sorted by node id (UTF-16 code unit order, locale independent). */
  readonly nodes: readonly TNode[];
  private readonly nodeIndexById: ReadonlyMap<string, number>;
  private readonly table: VirtualNodeTable;
  /** Per node, the walk generation that last chose it; spares clearing a set on every walk. */
  private readonly chosenInWalk: Uint32Array;
  private walkGeneration = 0;

  constructor(members: Iterable<TNode>) {
    const nodes = [...members];
    for (const node of nodes) validateNode(node);
    nodes.sort((left, right) => compareIds(left.nodeId, right.nodeId));
    const nodeIndexById = new Map<string, number>();
    nodes.forEach((node, index) => {
      if (nodeIndexById.has(node.nodeId)) throw new DuplicateNodeIdError(node.nodeId);
      nodeIndexById.set(node.nodeId, index);
    });
    this.nodes = nodes;
    this.nodeIndexById = nodeIndexById;
    this.table = new VirtualNodeTable(virtualNodeEntries(nodes));
    this.chosenInWalk = new Uint32Array(nodes.length);
  }

  /** Number of physical nodes. */
  get size(): number {
    return this.nodes.length;
  }

  /** Number of virtual nodes over all members. */
  get virtualNodeCount(): number {
    return this.table.length;
  }

  /** Member node ids, sorted. */
  nodeIds(): string[] {
    return this.nodes.map((node) => node.nodeId);
  }

  has(nodeId: string): boolean {
    return this.nodeIndexById.has(nodeId);
  }

  /** The member with this id; throws UnknownNodeError if there is none. */
  node(nodeId: string): TNode {
    const index = this.nodeIndexById.get(nodeId);
    if (index === undefined) throw new UnknownNodeError(nodeId);
    return this.nodes[index];
  }

  /** The node owning `token` (the first of its preference list); throws EmptyRingError. */
  primary(token: Token): string {
    assertToken(token);
    if (this.table.length === 0) throw new EmptyRingError();
    return this.nodes[this.table.owners[this.table.positionOf(token)]].nodeId;
  }

  /**
   * The first `count` distinct nodes clockwise from `token`, primary first; fewer when the ring
   * has fewer nodes, none on an empty ring. `preferenceList(t, ring.size)` orders every node,
   * so the entries past the replication factor are the hinted-handoff candidates in order.
   */
  preferenceList(token: Token, count: number): string[] {
    assertToken(token);
    assertCount(count, 0);
    if (this.table.length === 0 || count === 0) return [];
    return this.walk(this.table.positionOf(token), count);
  }

  /**
   * The ring cut into arcs (start, end] that each have one preference list of length
   * `replicationFactor`, sorted by end; the first arc wraps past TOKEN_MAX. Adjacent arcs with
   * the same replicas (in the same order) are merged. Empty on an empty ring.
   */
  ranges(replicationFactor: number): ReplicatedRange[] {
    assertCount(replicationFactor, 1);
    const tokens = this.table.tokens;
    const ranges: ReplicatedRange[] = [];
    let start = tokens[tokens.length - 1];
    for (let position = 0; position < tokens.length; position++) {
      const end = tokens[position];
      // Among equal tokens the first vnode wins every lookup; the rest own an empty arc.
      if (position > 0 && end === tokens[position - 1]) continue;
      const replicas = this.walk(position, replicationFactor);
      const previous = ranges[ranges.length - 1];
      if (previous !== undefined && sameList(previous.replicas, replicas)) {
        ranges[ranges.length - 1] = { start: previous.start, end, replicas };
      } else {
        ranges.push({ start, end, replicas });
      }
      start = end;
    }
    return mergeAcrossWrap(ranges);
  }

  /** The arcs `nodeId` replicates at `replicationFactor`; throws UnknownNodeError. */
  rangesOf(nodeId: string, replicationFactor: number): ReplicatedRange[] {
    this.node(nodeId);
    return this.ranges(replicationFactor).filter((range) => range.replicas.includes(nodeId));
  }

  /**
   * Fraction of the token space each node replicates at `replicationFactor` (default 1: the
   * fraction it is primary for). Fractions sum to min(replicationFactor, size).
   */
  ownership(replicationFactor = 1): Map<string, number> {
    const fractions = new Map<string, number>(this.nodes.map((node) => [node.nodeId, 0]));
    for (const range of this.ranges(replicationFactor)) {
      const fraction = rangeFraction(range);
      for (const nodeId of range.replicas) {
        fractions.set(nodeId, (fractions.get(nodeId) ?? 0) + fraction);
      }
    }
    return fractions;
  }

  /** Distinct owners clockwise from table position `start`; the table must not be empty. */
  private walk(start: number, count: number): string[] {
    const wanted = Math.min(count, this.nodes.length);
    const { owners } = this.table;
    const generation = this.nextWalkGeneration();
    const chosen: string[] = [];
    let position = start;
    // Every node has a vnode, so one lap of the table finds `wanted` distinct nodes.
    for (let step = 0; step < owners.length && chosen.length < wanted; step++) {
      const owner = owners[position];
      if (this.chosenInWalk[owner] !== generation) {
        this.chosenInWalk[owner] = generation;
        chosen.push(this.nodes[owner].nodeId);
      }
      position = position + 1 === owners.length ? 0 : position + 1;
    }
    return chosen;
  }

  private nextWalkGeneration(): number {
    if (this.walkGeneration === WALK_GENERATION_MAX) {
      this.chosenInWalk.fill(0);
      this.walkGeneration = 0;
    }
    this.walkGeneration += 1;
    return this.walkGeneration;
  }
}

/** Largest generation a Uint32Array slot holds; the stamps are cleared when it is reached. */
const WALK_GENERATION_MAX = 0xffff_ffff;

function validateNode(node: RingNode): void {
  if (typeof node.nodeId !== 'string' || node.nodeId.length === 0) throw new EmptyNodeIdError();
  const virtualNodes = node.virtualNodes ?? DEFAULT_VIRTUAL_NODES;
  if (
    !Number.isInteger(virtualNodes) ||
    virtualNodes < VIRTUAL_NODES_MIN ||
    virtualNodes > VIRTUAL_NODES_MAX
  ) {
    throw new InvalidVirtualNodeCountError(
      node.nodeId,
      virtualNodes,
      VIRTUAL_NODES_MIN,
      VIRTUAL_NODES_MAX,
    );
  }
}

function virtualNodeEntries(nodes: readonly RingNode[]): VirtualNodeEntry[] {
  const entries: VirtualNodeEntry[] = [];
  nodes.forEach((node, nodeIndex) => {
    const virtualNodes = node.virtualNodes ?? DEFAULT_VIRTUAL_NODES;
    for (let vnodeIndex = 0; vnodeIndex < virtualNodes; vnodeIndex++) {
      entries.push({ token: virtualNodeToken(node.nodeId, vnodeIndex), nodeIndex, vnodeIndex });
    }
  });
  return entries;
}

function assertCount(count: number, minimum: number): void {
  if (!Number.isInteger(count) || count < minimum) {
    throw new InvalidReplicaCountError(count, minimum);
  }
}

function compareIds(left: string, right: string): number {
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

/** Whether two replica lists hold the same nodes in the same order. */
export function sameList(left: readonly string[], right: readonly string[]): boolean {
  return left.length === right.length && left.every((value, index) => value === right[index]);
}

/** Joins the last arc into the first (wrapping) one when their replicas match. */
function mergeAcrossWrap(ranges: ReplicatedRange[]): ReplicatedRange[] {
  if (ranges.length < 2) return ranges;
  const first = ranges[0];
  const last = ranges[ranges.length - 1];
  if (!sameList(first.replicas, last.replicas)) return ranges;
  return [{ start: last.start, end: first.end, replicas: first.replicas }, ...ranges.slice(1, -1)];
}
