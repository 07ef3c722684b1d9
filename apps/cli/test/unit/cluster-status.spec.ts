// `pairdb status` data: ring shares from the registered nodes, health from each node's probe.
import type { StorageNode, StorageNodeHealth } from '@pairdb/client';
import { gatherStatus } from '../../src/status/cluster-status';

function node(nodeId: string, status = 'active', virtualNodes = 150, port = 1): StorageNode {
  return { nodeId, host: '127.0.0.1', port, status, virtualNodes };
}

function healthy(nodeId: string, keys = 10): StorageNodeHealth {
  return { nodeId, serving: true, hintsPending: 0, freeDiskBytes: 1, approximateKeyCount: keys };
}

describe('gatherStatus', () => {
  it('gives ring shares that sum to 1 (primary) and to RF (effective) over ring members', async () => {
    const nodes = [
      node('a'),
      node('b'),
      node('c'),
      node('d', 'draining'),
      node('gone', 'inactive'),
    ];
    const status = await gatherStatus(nodes, 3, async (address) => healthy(address));
    const members = status.nodes.filter((n) => n.nodeId !== 'gone');
    const sum = (pick: (n: (typeof members)[number]) => number) =>
      members.reduce((total, n) => total + pick(n), 0);
    expect(status.ringSize).toBe(4);
    expect(sum((n) => n.owns)).toBeCloseTo(1, 9);
    expect(sum((n) => n.effective)).toBeCloseTo(3, 9);
    const gone = status.nodes.find((n) => n.nodeId === 'gone')!;
    expect(gone).toMatchObject({ owns: 0, effective: 0, health: 'not probed' });
  });

  it('weights shares by virtual nodes', async () => {
    const status = await gatherStatus(
      [node('big', 'active', 600), node('small', 'active', 50)],
      1,
      async (a) => healthy(a),
    );
    const big = status.nodes.find((n) => n.nodeId === 'big')!;
    expect(big.owns).toBeGreaterThan(0.8);
  });

  it('marks a node that does not answer as down with the reason, and one not serving', async () => {
    const nodes = [
      node('up', 'active', 150, 1),
      node('down', 'active', 150, 2),
      node('idle', 'active', 150, 3),
    ];
    const status = await gatherStatus(nodes, 3, async (address) => {
      if (address.endsWith(':2')) throw new Error('connect ECONNREFUSED');
      if (address.endsWith(':3'))
        return { ...healthy('idle'), serving: false, approximateKeyCount: -1 };
      return healthy('up', 42);
    });
    expect(status.nodes.map((n) => [n.nodeId, n.health, n.keys, n.error])).toEqual([
      ['up', 'up', 42, undefined],
      ['down', 'down', undefined, 'connect ECONNREFUSED'],
      ['idle', 'not serving', undefined, undefined],
    ]);
  });

  it('handles an empty ring', async () => {
    const status = await gatherStatus([], 3, async (a) => healthy(a));
    expect(status).toEqual({ replicationFactor: 3, ringSize: 0, nodes: [] });
  });
});
