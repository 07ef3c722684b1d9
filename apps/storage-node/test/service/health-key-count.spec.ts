// HealthCheck's approximate_key_count: data keys of every tenant from one snapshot, memtable and
// SSTables together, each key once however often it was written; hints are not data.
import type { StorageNode } from '../../src/node';
import { dot, TestStorageClient } from '../support/storage-client';
import { removeDir, startTestNode, tempDir } from '../support/test-node';

/** More keys than one counting chunk (4096), so the count resumes across event-loop turns. */
const KEY_COUNT = 5_000;
/** Big enough that the keys overflow the test node's 1 MiB memtable into SSTables. */
const VALUE = Buffer.alloc(400, 'v');
const WRITERS = 64;

/** Keys written a second time: a rewrite must not count twice. */
const REWRITTEN_KEYS = 500;

async function writeKeys(client: TestStorageClient, keys: number, counterBase: number) {
  let next = 0;
  const writer = async () => {
    for (let index = next++; index < keys; index = next++) {
      await client.write({
        tenantId: index % 2 === 0 ? 'even' : 'odd',
        key: `key-${index}`,
        value: VALUE,
        dot: dot('c1', counterBase + index),
      });
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
}

describe('HealthCheck approximate_key_count', () => {
  let dir: string;
  let node: StorageNode;
  let client: TestStorageClient;

  beforeAll(async () => {
    dir = tempDir();
    // Durability is not under test here; skipping fsync keeps the 5k writes quick.
    node = await startTestNode({
      dataDir: dir,
      overrides: (config) => (config.storage.sync_policy = 'none'),
    });
    client = new TestStorageClient(`127.0.0.1:${node.grpcPort}`);
  });

  afterAll(async () => {
    client.close();
    await node.stop();
    removeDir(dir);
  });

  it('is 0 on an empty node', async () => {
    expect((await client.healthCheck()).approximateKeyCount).toBe(0n);
  });

  it('counts every key of every tenant once, across flushed tables and rewrites', async () => {
    await writeKeys(client, KEY_COUNT, 1_000);
    await writeKeys(client, REWRITTEN_KEYS, 100_000);
    expect((await client.healthCheck()).approximateKeyCount).toBe(BigInt(KEY_COUNT));
  }, 60_000);

  it('leaves hints out: they are kept for another node, not stored data', async () => {
    const before = (await client.healthCheck()).approximateKeyCount;
    await client.write({
      tenantId: 'even',
      key: 'for-someone-else',
      value: VALUE,
      dot: dot('c1', 500_000),
      hintFor: { nodeId: 'node-away', address: '127.0.0.1:1' },
    });
    const after = await client.healthCheck();
    expect(after.hintsPending).toBe(1n);
    expect(after.approximateKeyCount).toBe(before);
  });

  it('still counts a deleted key: its tombstone stays until compaction may drop it', async () => {
    const before = (await client.healthCheck()).approximateKeyCount;
    await client.delete({ tenantId: 'odd', key: 'key-1', dot: dot('c1', 600_000) });
    await client.write({
      tenantId: 'odd',
      key: 'brand-new',
      value: VALUE,
      dot: dot('c1', 600_001),
    });
    expect((await client.healthCheck()).approximateKeyCount).toBe(before + 1n);
  });
});
