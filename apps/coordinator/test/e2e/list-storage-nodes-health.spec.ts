// ListStorageNodes with include_health, end to end: an in-process coordinator probes real
// storage-node processes on behalf of a caller, as `pairdb status` asks it to when the nodes'
// registered addresses resolve only inside the cluster network.
import { startCluster, type Cluster } from './cluster-harness';

jest.setTimeout(120_000);

const KEYS = 4;
/** A host name no resolver answers (RFC 6761 reserves .invalid). */
const UNRESOLVABLE_HOST = 'storage-node-9.invalid';

describe('ListStorageNodes with include_health', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster(2);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('reports a node registered under a name the coordinator cannot resolve as not answered, and no health for a removed one', async () => {
    // No tenant yet: the node joins and leaves at once, with no migration to reach it.
    await cluster.client.addNode({ nodeId: 'ghost', host: UNRESOLVABLE_HOST, port: 50052 });
    const { nodes } = await cluster.client.listNodes(true);
    const ghost = nodes.find((node) => node.nodeId === 'ghost')!;
    expect(ghost.health).toMatchObject({ answered: false, serving: false });
    // A resolver that does not answer at all would leave the probe to its deadline instead.
    expect(ghost.health!.error).toMatch(/Name resolution failed|Deadline exceeded/);
    await cluster.client.removeNode({ nodeId: 'ghost' });
    const after = await cluster.client.listNodes(true);
    const removed = after.nodes.find((node) => node.nodeId === 'ghost')!;
    expect(removed.status).toBe('inactive');
    expect(removed.health).toBeUndefined();
  });

  it("carries each serving node's key count, and none without include_health", async () => {
    await cluster.client.createTenant({ tenantId: 'health', replicationFactor: 2 });
    for (let index = 0; index < KEYS; index++) {
      await cluster.client.write({
        tenantId: 'health',
        key: `k${index}`,
        value: Buffer.from('v'),
        consistency: 'all',
      });
    }
    const { nodes } = await cluster.client.listNodes(true);
    const live = nodes.filter((node) => node.status === 'active');
    // RF 2 on 2 nodes, written at ALL: every key is on both.
    expect(live.map((node) => [node.nodeId, node.health?.answered, node.health?.serving])).toEqual([
      ['node-0', true, true],
      ['node-1', true, true],
    ]);
    for (const node of live) {
      expect(Number(node.health!.approximateKeyCount)).toBeGreaterThanOrEqual(KEYS);
      expect(node.health!.error).toBe('');
    }
    const plain = await cluster.client.listNodes();
    expect(plain.nodes.map((node) => node.health)).toEqual([undefined, undefined, undefined]);
  });

  it('reports a killed node as not answered with why, within the probe deadline', async () => {
    await cluster.nodes[1]!.kill('SIGKILL');
    const started = Date.now();
    const { nodes } = await cluster.client.listNodes(true);
    // Each probe is bounded by 2 s and they run at once; allow for a loaded machine.
    expect(Date.now() - started).toBeLessThan(5_000);
    const byId = new Map(nodes.map((node) => [node.nodeId, node.health]));
    expect(byId.get('node-0')).toMatchObject({ answered: true, serving: true, error: '' });
    expect(byId.get('node-1')).toMatchObject({ answered: false });
    expect(byId.get('node-1')!.error).toMatch(/ECONNREFUSED|No connection established/);
  });
});
