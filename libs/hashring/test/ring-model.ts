// A brute-force model of the ring for tests: every vnode in a plain array, linear scans only.
// It follows the laws written in src/hash-ring.ts and src/virtual-node-table.ts, not the code.
import fc from 'fast-check';
import { TOKEN_MAX, virtualNodeToken, type RingNode } from '../src';

interface ModelVirtualNode {
  token: bigint;
  nodeId: string;
  vnodeIndex: number;
}

export class RingModel {
  readonly vnodes: ModelVirtualNode[] = [];

  constructor(nodes: readonly RingNode[]) {
    for (const node of nodes) {
      for (let vnodeIndex = 0; vnodeIndex < (node.virtualNodes ?? 150); vnodeIndex++) {
        const token = virtualNodeToken(node.nodeId, vnodeIndex);
        this.vnodes.push({ token, nodeId: node.nodeId, vnodeIndex });
      }
    }
    this.vnodes.sort((left, right) => {
      if (left.token !== right.token) return left.token < right.token ? -1 : 1;
      if (left.nodeId !== right.nodeId) return left.nodeId < right.nodeId ? -1 : 1;
      return left.vnodeIndex - right.vnodeIndex;
    });
  }

  preferenceList(token: bigint, count: number): string[] {
    let start = this.vnodes.findIndex((vnode) => vnode.token >= token);
    if (start === -1) start = 0;
    const chosen: string[] = [];
    for (let step = 0; step < this.vnodes.length; step++) {
      const { nodeId } = this.vnodes[(start + step) % this.vnodes.length];
      if (chosen.length < count && !chosen.includes(nodeId)) chosen.push(nodeId);
    }
    return chosen;
  }
}

/** 1..`maxNodes` nodes with distinct non-empty ids and 1..`maxVirtualNodes` vnodes each. */
export function ringMembers(maxNodes = 8, maxVirtualNodes = 24): fc.Arbitrary<RingNode[]> {
  return fc
    .uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: maxNodes })
    .chain((ids) =>
      fc.tuple(
        ...ids.map((nodeId) =>
          fc.integer({ min: 1, max: maxVirtualNodes }).map((virtualNodes) => ({
            nodeId,
            virtualNodes,
          })),
        ),
      ),
    );
}

/** Tokens that hit the edges: random, 0, TOKEN_MAX, and vnode tokens and their neighbours. */
export function probeToken(nodes: readonly RingNode[]): fc.Arbitrary<bigint> {
  const vnodeTokens = nodes.flatMap((node) =>
    Array.from({ length: node.virtualNodes ?? 150 }, (_, index) =>
      virtualNodeToken(node.nodeId, index),
    ),
  );
  const nearVnode = fc
    .tuple(fc.constantFrom(...vnodeTokens), fc.constantFrom(-1n, 0n, 1n))
    .map(([token, offset]) => (token + offset + TOKEN_MAX + 1n) % (TOKEN_MAX + 1n));
  return fc.oneof(
    fc.bigInt({ min: 0n, max: TOKEN_MAX }),
    fc.constantFrom(0n, TOKEN_MAX),
    nearVnode,
  );
}
