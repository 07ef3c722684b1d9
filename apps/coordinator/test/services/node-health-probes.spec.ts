// The probes behind ListStorageNodes with include_health: all at once, in the list's order,
// and a failure of one is that node's answer, not the list's.
import type { NodeStatus, StorageNode } from '../../src/metadata';
import { probeStorageNodes, type NodeHealthReport } from '../../src/node-health-probes';

function node(nodeId: string, status: NodeStatus = 'active'): StorageNode {
  return {
    nodeId,
    host: `${nodeId}.pairdb`,
    port: 50052,
    status,
    virtualNodes: 150,
    createdAtUnixMs: 0,
    updatedAtUnixMs: 0,
  };
}

const REPORT: NodeHealthReport = {
  serving: true,
  approximateKeyCount: -1,
  hintsPending: 0,
  freeDiskBytes: 7,
};

describe('probeStorageNodes', () => {
  it('asks every node before any answers, so one slow node costs one deadline, not many', async () => {
    const nodes = [node('a'), node('b'), node('c')];
    const waiting: Array<() => void> = [];
    const probes = probeStorageNodes(nodes, (probed) => {
      // Each probe answers only once all three were asked: one at a time would never finish.
      const answer = new Promise<NodeHealthReport>((resolve) =>
        waiting.push(() => resolve({ ...REPORT, hintsPending: probed.nodeId.charCodeAt(0) })),
      );
      if (waiting.length === nodes.length) for (const release of waiting) release();
      return answer;
    });
    const listed = await probes;
    expect(listed.map((n) => [n.nodeId, n.health])).toEqual([
      ['a', { answered: true, ...REPORT, hintsPending: 97 }],
      ['b', { answered: true, ...REPORT, hintsPending: 98 }],
      ['c', { answered: true, ...REPORT, hintsPending: 99 }],
    ]);
  });

  it('gives a node whose check threw something other than a ReplicaFailure its message', async () => {
    const listed = await probeStorageNodes([node('a'), node('gone', 'inactive')], async () => {
      throw new Error('socket hang up');
    });
    expect(listed.map((n) => [n.nodeId, n.health])).toEqual([
      ['a', { answered: false, error: 'socket hang up' }],
      ['gone', undefined],
    ]);
  });

  it('hands each check the deadline it was given', async () => {
    const deadlines: number[] = [];
    await probeStorageNodes(
      [node('a'), node('b', 'draining'), node('c', 'joining')],
      async (_, timeoutMs) => {
        deadlines.push(timeoutMs);
        return REPORT;
      },
      250,
    );
    expect(deadlines).toEqual([250, 250, 250]);
  });
});
