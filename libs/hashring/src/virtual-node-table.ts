// The sorted table of virtual nodes behind a ring: parallel typed arrays of tokens and owners.
//
// Order: ascending token; equal tokens (two vnodes hashing to the same 64 bits) are ordered by
// owner node index, and the ring numbers its nodes in node id order, so ties go to the smaller
// node id. A vnode of the same node colliding with itself is ordered by vnode index. This order
// is total and depends only on the membership, so every process builds the same table.
//
// Lookup law: a token t belongs to the first vnode (in table order) whose token is >= t, or to
// the first vnode of the table when t is greater than every vnode token (the ring wraps).

import type { Token } from './token';

/** One virtual node before sorting. */
export interface VirtualNodeEntry {
  readonly token: Token;
  /** Index of the owning node in the ring's node id order. */
  readonly nodeIndex: number;
  readonly vnodeIndex: number;
}

export class VirtualNodeTable {
  /** Vnode tokens, ascending (equal tokens may repeat). */
  readonly tokens: BigUint64Array;
  /** Owner node index of each vnode, parallel to `tokens`. */
  readonly owners: Uint32Array;

  constructor(entries: readonly VirtualNodeEntry[]) {
    const sorted = [...entries].sort(compareEntries);
    this.tokens = new BigUint64Array(sorted.length);
    this.owners = new Uint32Array(sorted.length);
    sorted.forEach((entry, position) => {
      this.tokens[position] = entry.token;
      this.owners[position] = entry.nodeIndex;
    });
  }

  get length(): number {
    return this.tokens.length;
  }

  /** Position of the vnode owning `token`: binary search for the first token >= it, wrapping. */
  positionOf(token: Token): number {
    const tokens = this.tokens;
    let low = 0;
    let high = tokens.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (tokens[middle] < token) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low === tokens.length ? 0 : low;
  }
}

function compareEntries(left: VirtualNodeEntry, right: VirtualNodeEntry): number {
  if (left.token !== right.token) return left.token < right.token ? -1 : 1;
  if (left.nodeIndex !== right.nodeIndex) return left.nodeIndex - right.nodeIndex;
  return left.vnodeIndex - right.vnodeIndex;
}
