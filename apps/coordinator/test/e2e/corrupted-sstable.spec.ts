// A corrupted SSTable block on one replica of three: QUORUM reads still answer the right value
// from the others, the damaged node names the file and offset in its log and counts it in
// storage_corruption_errors_total, and read repair replaces the damaged version so the node
// answers the right value again.
import { status } from '@grpc/grpc-js';
import { startCluster, StorageClient, type Cluster, failure, text } from './cluster-harness';
import { ServiceProcess, storageNodeEnv, waitFor } from './service-process';
import { dataBlocks, flipByteIn, sstableFiles } from './sstable-damage';

jest.setTimeout(180_000);

const TENANT = 'damaged';
/** Few and small: they all fit in the one data block that gets damaged. */
const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4'];
const valueOf = (key: string) => `value-of-${key}`;
function metricValue(page: string, pattern: RegExp): number {
  const match = pattern.exec(page);
  return match ? Number(match[1]) : 0;
}

describe('one replica with a damaged SSTable data block, RF 3', () => {
  let cluster: Cluster;
  let damagedNode: ServiceProcess;
  let direct: StorageClient;
  let sstable: string;
  let blockOffset: number;

  const metrics = async () =>
    (await fetch(`http://127.0.0.1:${damagedNode.httpPort}/metrics`)).text();

  beforeAll(async () => {
    cluster = await startCluster(3);
    await cluster.client.createTenant({ tenantId: TENANT, replicationFactor: 3 });
    for (const key of KEYS) {
      await cluster.client.write({
        tenantId: TENANT,
        key,
        value: Buffer.from(valueOf(key)),
        consistency: 'all',
      });
    }
    // SIGTERM flushes the memtable: the keys are then in an SSTable, not only the commit log.
    const victim = cluster.nodes[0]!;
    await victim.kill('SIGTERM');
    const files = sstableFiles(victim.dataDir);
    expect(files).toHaveLength(1);
    sstable = files[0]!;
    const blocks = dataBlocks(sstable);
    expect(blocks).toHaveLength(1);
    blockOffset = blocks[0]!.offset;
    flipByteIn(sstable, blocks[0]!);
    damagedNode = await ServiceProcess.start(
      'storage-node',
      storageNodeEnv(victim.nodeId, victim.port, victim.dataDir),
    );
    direct = new StorageClient(victim.address);
  });

  afterAll(async () => {
    direct?.close();
    await damagedNode?.kill();
    await cluster?.stop();
  });

  it('the damaged node refuses to answer from the block: DATA_LOSS naming node, tenant, key, file and offset, logged and counted', async () => {
    const refused = await failure(direct.read(TENANT, 'k0'));
    expect(status[refused.code]).toBe('DATA_LOSS');
    expect(refused.details).toContain(
      `key "k0" in tenant "${TENANT}" on node ${cluster.nodes[0]!.nodeId}`,
    );
    expect(refused.details).toContain(sstable);
    expect(refused.details).toContain(`offset ${blockOffset}`);
    const logged = await damagedNode.waitForLog(
      (line) => line['file'] === sstable && line['key'] === 'k0',
      10_000,
    );
    expect(logged).toMatchObject({ offset: blockOffset, tenantId: TENANT, operation: 'read' });
    expect(
      metricValue(await metrics(), /storage_corruption_errors_total\{operation="read"\} (\d+)/),
    ).toBeGreaterThanOrEqual(1);
  });

  it('a client write of a damaged key is refused there (it could drop siblings it cannot see)', async () => {
    const refused = await failure(
      direct.write({
        tenantId: TENANT,
        key: 'k1',
        value: Buffer.from('blind'),
        dot: { actor: 'test', counter: 1n },
        conflictPolicy: 1,
      }),
    );
    expect(status[refused.code]).toBe('DATA_LOSS');
    expect(
      metricValue(await metrics(), /storage_corruption_errors_total\{operation="write"\} (\d+)/),
    ).toBeGreaterThanOrEqual(1);
  });

  it('a QUORUM read answers the right value from the others, and read repair heals the damaged replica', async () => {
    const read = await cluster.client.read({ tenantId: TENANT, key: 'k0' });
    expect(text(read.value)).toBe(valueOf('k0'));
    await waitFor('k0 repaired on the damaged node', async () => {
      const reply = await direct.read(TENANT, 'k0');
      return reply.versions!.siblings.map((s) => text(s.value)).join() === valueOf('k0');
    });
    await damagedNode.waitForLog(
      (line) => line['key'] === 'k0' && line['operation'] === 'repair',
      10_000,
    );
    expect(
      metricValue(await metrics(), /storage_corrupt_versions_replaced_total (\d+)/),
    ).toBeGreaterThanOrEqual(1);
  });

  it('other keys of the damaged block stay unreadable on that node until a read repairs each', async () => {
    const untouched = await failure(direct.read(TENANT, 'k2'));
    expect(status[untouched.code]).toBe('DATA_LOSS');
    for (const key of KEYS) {
      const read = await cluster.client.read({ tenantId: TENANT, key, consistency: 'quorum' });
      expect(text(read.value)).toBe(valueOf(key));
    }
    for (const key of KEYS) {
      await waitFor(`${key} repaired on the damaged node`, async () => {
        const reply = await direct.read(TENANT, key);
        return reply.versions!.siblings.map((s) => text(s.value)).join() === valueOf(key);
      });
    }
  });
});
