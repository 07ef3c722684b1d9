// RepairBatch, a migration's page of copies in one call (docs/architecture.md#membership-and-migrations):
// every item merges as Repair does (DVVSet sync, idempotent); one invalid item refuses the whole
// batch, naming the item, with nothing merged; the batch is fenced (a stale ring version or
// driver epoch refuses it, and a batch without a driver fence is refused); the answer comes only
// once the items are fsynced (the node's fsync count has risen by then, by one or two, not one
// per item) and a SIGKILL right after it loses none.
import { status, type ServiceError } from '@grpc/grpc-js';
import type { storageV1 } from '@pairdb/proto';
import { freePort } from '@pairdb/test-ports';
import type { StorageNode } from '../../src/node';
import { spawnNodeProcess } from '../support/node-process';
import { dot, LWW, SIBLINGS, TestStorageClient, values } from '../support/storage-client';
import { removeDir, startTestNode, tempDir } from '../support/test-node';

const MIGRATION_ID = 'mig-batch';

async function grpcError(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}

function versionSet(actor: string, counter: number, value: string): storageV1.VersionSet {
  return {
    context: [{ actor, counter: BigInt(counter) }],
    siblings: [{ dot: dot(actor, counter), value: Buffer.from(value), tombstone: false }],
  };
}

function item(
  tenantId: string,
  key: string,
  versions: storageV1.VersionSet | undefined,
  conflictPolicy = LWW,
): storageV1.RepairBatchItem {
  return { tenantId, key, versions, conflictPolicy };
}

describe('RepairBatch on a storage node', () => {
  let dir: string;
  let node: StorageNode;
  let client: TestStorageClient;

  beforeAll(async () => {
    dir = tempDir('pairdb-repair-batch-');
    node = await startTestNode({ dataDir: dir, grpcPort: await freePort() });
    client = new TestStorageClient(`127.0.0.1:${node.grpcPort}`);
    // The node knows ring version 3 and driver epoch 2 of the migration.
    await client.raiseRingVersion({
      ringVersion: 3n,
      fence: { migrationId: MIGRATION_ID, epoch: 2n },
    });
  });

  afterAll(async () => {
    client.close();
    await node.stop();
    removeDir(dir);
  });

  const fence = { migrationId: MIGRATION_ID, epoch: 2n };

  async function fsyncs(): Promise<number> {
    const page = await (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`)).text();
    const line = page.split('\n').find((l) => l.startsWith('storage_commit_log_fsyncs_total '));
    if (!line) throw new Error('no storage_commit_log_fsyncs_total on /metrics');
    return Number(line.split(' ')[1]);
  }

  it('merges every item and answers how many; each key then reads what was sent', async () => {
    const items = Array.from({ length: 20 }, (_, i) =>
      item('b', `merged-${i}`, versionSet('c', i + 1, `value-${i}`)),
    );
    const reply = await client.repairBatch({ items, ringVersion: 3n, fence });
    expect(reply.itemsMerged).toBe(20);
    for (let i = 0; i < 20; i++) {
      expect(values((await client.read('b', `merged-${i}`, 3n)).versions)).toEqual([`value-${i}`]);
    }
  });

  it('merges as Repair does: concurrent siblings are kept, an older set changes nothing', async () => {
    await client.repairBatch({
      items: [item('b', 'sync', versionSet('c', 5, 'from-c'), SIBLINGS)],
      ringVersion: 3n,
      fence,
    });
    const batch = {
      items: [
        item('b', 'sync', versionSet('d', 7, 'from-d'), SIBLINGS),
        item('b', 'sync-older', versionSet('c', 9, 'newer'), SIBLINGS),
      ],
      ringVersion: 3n,
      fence,
    };
    await client.repairBatch(batch);
    await client.repairBatch(batch); // a resent batch (a takeover) changes nothing
    expect(values((await client.read('b', 'sync', 3n)).versions).sort()).toEqual([
      'from-c',
      'from-d',
    ]);
    await client.repairBatch({
      items: [item('b', 'sync-older', versionSet('c', 4, 'older'), SIBLINGS)],
      ringVersion: 3n,
      fence,
    });
    expect(values((await client.read('b', 'sync-older', 3n)).versions)).toEqual(['newer']);
  });

  it('one invalid item refuses the batch, naming it, and merges none of the others', async () => {
    const empty = await grpcError(
      client.repairBatch({
        items: [
          item('b', 'valid-first', versionSet('c', 1, 'v')),
          item('b', '', versionSet('c', 1, 'v')),
          item('b', 'valid-last', versionSet('c', 1, 'v')),
        ],
        ringVersion: 3n,
        fence,
      }),
    );
    expect(empty.code).toBe(status.INVALID_ARGUMENT);
    expect(empty.details).toMatch(/^items\[1\]\.key is required/);
    const missing = await grpcError(
      client.repairBatch({
        items: [item('b', 'valid-first', versionSet('c', 1, 'v')), item('b', 'x', undefined)],
        ringVersion: 3n,
        fence,
      }),
    );
    expect(missing.code).toBe(status.INVALID_ARGUMENT);
    expect(missing.details).toMatch(/^items\[1\]\.versions is required/);
    const tenant = await grpcError(
      client.repairBatch({
        items: [
          item('b', 'valid-first', versionSet('c', 1, 'v')),
          item('bad tenant', 'k', versionSet('c', 1, 'v')),
        ],
        ringVersion: 3n,
        fence,
      }),
    );
    expect(tenant.code).toBe(status.INVALID_ARGUMENT);
    expect(tenant.details).toMatch(/^items\[1\]\.tenant_id .*"bad tenant"/);
    expect((await client.read('b', 'valid-first', 3n)).found).toBe(false);
    expect((await client.read('b', 'valid-last', 3n)).found).toBe(false);
  });

  it('is refused without a driver fence, under a stale ring version, and from a stale epoch', async () => {
    const items = [item('b', 'fenced', versionSet('c', 1, 'v'))];
    const unfenced = await grpcError(client.repairBatch({ items, ringVersion: 3n }));
    expect(unfenced.code).toBe(status.INVALID_ARGUMENT);
    expect(unfenced.details).toMatch(/^fence is required/);
    const staleRing = await grpcError(client.repairBatch({ items, ringVersion: 2n, fence }));
    expect(staleRing.code).toBe(status.ABORTED);
    const staleEpoch = await grpcError(
      client.repairBatch({
        items,
        ringVersion: 3n,
        fence: { migrationId: MIGRATION_ID, epoch: 1n },
      }),
    );
    expect(staleEpoch.code).toBe(status.FAILED_PRECONDITION);
    expect(staleEpoch.details).toMatch(/driver epoch 1 is below epoch 2/);
    expect((await client.read('b', 'fenced', 3n)).found).toBe(false);
    // A newer epoch goes through and becomes the one the node keeps: epoch 2 is stale after it.
    await client.repairBatch({ items, ringVersion: 3n, fence: { ...fence, epoch: 3n } });
    expect((await client.read('b', 'fenced', 3n)).found).toBe(true);
    const deposed = await grpcError(client.repairBatch({ items, ringVersion: 3n, fence }));
    expect(deposed.code).toBe(status.FAILED_PRECONDITION);
  });

  it('has fsynced its items when it answers, in shared fsyncs rather than one per item', async () => {
    const items = Array.from({ length: 200 }, (_, i) =>
      item('b', `grouped-${i}`, versionSet('c', 1, 'v')),
    );
    const before = await fsyncs();
    await client.repairBatch({ items, ringVersion: 3n, fence: { ...fence, epoch: 3n } });
    const used = (await fsyncs()) - before;
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(2);
  });
});

describe('RepairBatch durability', () => {
  const dir = tempDir('pairdb-repair-batch-crash-');
  afterAll(() => removeDir(dir));

  it('answers only once every item is durable: a SIGKILL right after the answer loses none', async () => {
    const env = async () => ({
      PAIRDB_SERVER_PORT: String(await freePort()),
      PAIRDB_HTTP_PORT: String(await freePort()),
    });
    const first = await spawnNodeProcess(dir, await env());
    const writer = new TestStorageClient(`127.0.0.1:${first.grpcPort}`);
    const items = Array.from({ length: 500 }, (_, i) =>
      item('durable', `key-${i}`, versionSet('c', i + 1, `value-${i}-${'x'.repeat(200)}`)),
    );
    await writer.repairBatch({ items, fence: { migrationId: MIGRATION_ID, epoch: 1n } });
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    writer.close();

    const second = await spawnNodeProcess(dir, await env());
    const reader = new TestStorageClient(`127.0.0.1:${second.grpcPort}`);
    try {
      const missing: string[] = [];
      for (let i = 0; i < items.length; i++) {
        const read = await reader.read('durable', `key-${i}`);
        if (values(read.versions)[0] !== `value-${i}-${'x'.repeat(200)}`) missing.push(`key-${i}`);
      }
      expect(missing).toEqual([]);
    } finally {
      reader.close();
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
