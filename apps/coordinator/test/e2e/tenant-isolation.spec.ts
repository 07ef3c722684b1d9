// Tenant isolation end to end: the same key name in two tenants is two unrelated keys, on the
// coordinator's answers and in every storage node's own store.
import { status } from '@grpc/grpc-js';
import { startCluster, StorageClient, type Cluster, failure, text } from './cluster-harness';

jest.setTimeout(120_000);

describe('tenant isolation through the coordinator, over three storage-node processes', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster(3);
    for (const tenantId of ['tenant-a', 'tenant-b', 'a1', 'a1x']) {
      await cluster.client.createTenant({ tenantId, replicationFactor: 3 });
    }
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('a key written in tenant A is NOT_FOUND in tenant B under the same key name', async () => {
    await cluster.client.write({
      tenantId: 'tenant-a',
      key: 'shared-name',
      value: Buffer.from('a-value'),
      consistency: 'all',
    });
    const inB = await failure(
      cluster.client.read({ tenantId: 'tenant-b', key: 'shared-name', consistency: 'all' }),
    );
    expect(inB.code).toBe(status.NOT_FOUND);
    // Not only the coordinator: no storage node holds anything for tenant B under that name.
    for (const node of cluster.nodes) {
      const direct = new StorageClient(node.address);
      try {
        expect((await direct.read('tenant-b', 'shared-name')).found).toBe(false);
        expect((await direct.read('tenant-a', 'shared-name')).found).toBe(true);
      } finally {
        direct.close();
      }
    }
  });

  it('a write and a delete of the same key name in tenant B leave tenant A untouched', async () => {
    await cluster.client.write({
      tenantId: 'tenant-a',
      key: 'both',
      value: Buffer.from('a-value'),
      consistency: 'all',
    });
    const inB = await cluster.client.write({
      tenantId: 'tenant-b',
      key: 'both',
      value: Buffer.from('b-value'),
      consistency: 'all',
    });
    // Each tenant sees its own value alone, not the other's as a sibling.
    const readA = await cluster.client.read({ tenantId: 'tenant-a', key: 'both' });
    expect(readA.siblings.map((s) => text(s.value))).toEqual(['a-value']);
    const readB = await cluster.client.read({ tenantId: 'tenant-b', key: 'both' });
    expect(readB.siblings.map((s) => text(s.value))).toEqual(['b-value']);

    await cluster.client.delete({
      tenantId: 'tenant-b',
      key: 'both',
      context: inB.vectorClock,
      consistency: 'all',
    });
    expect(
      (
        await failure(
          cluster.client.read({ tenantId: 'tenant-b', key: 'both', consistency: 'all' }),
        )
      ).code,
    ).toBe(status.NOT_FOUND);
    const afterDelete = await cluster.client.read({
      tenantId: 'tenant-a',
      key: 'both',
      consistency: 'all',
    });
    expect(afterDelete.siblings.map((s) => text(s.value))).toEqual(['a-value']);
  });

  it('tenant and key whose concatenations are equal ("a1"+"xk", "a1x"+"k") stay two keys', async () => {
    await cluster.client.write({
      tenantId: 'a1',
      key: 'xk',
      value: Buffer.from('from-a1'),
      consistency: 'all',
    });
    expect(
      (await failure(cluster.client.read({ tenantId: 'a1x', key: 'k', consistency: 'all' }))).code,
    ).toBe(status.NOT_FOUND);
    await cluster.client.write({
      tenantId: 'a1x',
      key: 'k',
      value: Buffer.from('from-a1x'),
      consistency: 'all',
    });
    const a1 = await cluster.client.read({ tenantId: 'a1', key: 'xk', consistency: 'all' });
    const a1x = await cluster.client.read({ tenantId: 'a1x', key: 'k', consistency: 'all' });
    expect(a1.siblings.map((s) => text(s.value))).toEqual(['from-a1']);
    expect(a1x.siblings.map((s) => text(s.value))).toEqual(['from-a1x']);
  });
});
