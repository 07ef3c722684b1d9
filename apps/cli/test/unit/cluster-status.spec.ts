// `pairdb status` data: ring shares from the registered nodes, health from the coordinator's
// probe of each node, or from a probe of our own when the coordinator lists none.
import type { NodeHealthProbe, StorageNode, StorageNodeHealth } from '@pairdb/client';
import { gatherStatus, type Probe } from '../../src/status/cluster-status';
import { renderStatus } from '../../src/status/status-text';

function node(nodeId: string, status = 'active', virtualNodes = 150, port = 1): StorageNode {
  return { nodeId, host: '127.0.0.1', port, status, virtualNodes };
}

function healthy(nodeId: string, keys = 10): StorageNodeHealth {
  return { nodeId, serving: true, hintsPending: 0, freeDiskBytes: 1, approximateKeyCount: keys };
}

/** As registered under docker-compose: a name only the cluster network resolves. */
function composeNode(index: number, health: NodeHealthProbe | undefined): StorageNode {
  return {
    nodeId: `storage-node-${index}`,
    host: `storage-node-${index}`,
    port: 50052,
    status: 'active',
    virtualNodes: 150,
    ...(health && { health }),
  };
}

/** A probe from outside the cluster network: no registered name resolves. Records its calls. */
function unresolvable(asked: string[]): Probe {
  return async (address) => {
    asked.push(address);
    throw new Error(`Name resolution failed for target dns:${address}`);
  };
}

describe('gatherStatus', () => {
  it("shows nodes up from the coordinator's probes though their addresses do not resolve here", async () => {
    const asked: string[] = [];
    const nodes = [0, 1].map((index) =>
      composeNode(index, {
        answered: true,
        serving: true,
        approximateKeyCount: 100 + index,
        hintsPending: index,
        freeDiskBytes: 2 ** 30,
      }),
    );
    const status = await gatherStatus(nodes, 3, unresolvable(asked));
    expect(status.nodes.map((n) => [n.nodeId, n.health, n.keys, n.hintsPending, n.error])).toEqual([
      ['storage-node-0', 'up', 100, 0, undefined],
      ['storage-node-1', 'up', 101, 1, undefined],
    ]);
    expect(status.nodes.map((n) => n.freeDiskBytes)).toEqual([2 ** 30, 2 ** 30]);
    expect(asked).toEqual([]);
  });

  it("shows a node the coordinator could not reach as down, naming it with the coordinator's error", async () => {
    const asked: string[] = [];
    const nodes = [
      composeNode(0, {
        answered: true,
        serving: false,
        approximateKeyCount: -1,
        hintsPending: 0,
        freeDiskBytes: 1,
      }),
      composeNode(1, { answered: false, error: 'connect ECONNREFUSED 172.18.0.5:50052' }),
    ];
    const status = await gatherStatus(nodes, 3, unresolvable(asked));
    expect(status.nodes.map((n) => [n.nodeId, n.health, n.keys, n.error])).toEqual([
      ['storage-node-0', 'not serving', undefined, undefined],
      ['storage-node-1', 'down', undefined, 'connect ECONNREFUSED 172.18.0.5:50052'],
    ]);
    expect(asked).toEqual([]);
    const text = renderStatus('127.0.0.1:50051', status, []);
    expect(text).toContain('0 up\n');
    expect(text.endsWith('\nstorage-node-1: connect ECONNREFUSED 172.18.0.5:50052\n')).toBe(true);
  });

  it('probes from here the nodes a coordinator older than includeHealth lists without health', async () => {
    const asked: string[] = [];
    const status = await gatherStatus([composeNode(0, undefined)], 3, unresolvable(asked));
    expect(asked).toEqual(['storage-node-0:50052']);
    expect(status.nodes[0]).toMatchObject({
      health: 'down',
      error: 'Name resolution failed for target dns:storage-node-0:50052',
    });
  });

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
