// Membership over real storage-node processes: a node added, a node removed, and a tenant's
// replication factor raised and lowered, each while a writer and a reader run at QUORUM. No
// acknowledged write may be lost, no read of an acknowledged key may answer NOT_FOUND or an older
// value, and afterwards every key is stored on exactly its new preference list (each node's
// ScanRange, checked against a ring computed here from the node list).
import { freePort } from '@pairdb/test-ports';
import * as path from 'node:path';
import { startCluster, StorageProcess, type Cluster } from './cluster-harness';
import { healthOf } from './membership-fault-harness';
import { expectAllReadable, expectPlacedExactly, Load, waitForMigration } from './membership-load';
import { waitFor } from './service-process';

jest.setTimeout(600_000);

/** Keys written before each change, per tenant. */
const KEYS_PER_TENANT = Number(process.env['PAIRDB_TEST_MEMBERSHIP_KEYS'] ?? 2_000);
const MIGRATION_TIMEOUT_MS = 240_000;

describe('membership changes under load', () => {
  let cluster: Cluster;
  const members: StorageProcess[] = [];

  beforeAll(async () => {
    cluster = await startCluster(3);
    members.push(...cluster.nodes);
    await cluster.client.createTenant({ tenantId: 'one', replicationFactor: 1 });
    await cluster.client.createTenant({ tenantId: 'three', replicationFactor: 3 });
  });
  afterAll(async () => {
    for (const node of members)
      if (node.child && !cluster.nodes.includes(node)) await node.kill('SIGTERM');
    await cluster?.stop();
  });

  /** `copies`: whether the change moves data to new replicas (lowering a factor only drops). */
  async function underLoad(change: () => Promise<string>, label: string, copies = true) {
    const loads = [
      new Load(cluster.client, 'one', `${label}-a`, KEYS_PER_TENANT),
      new Load(cluster.client, 'three', `${label}-b`, KEYS_PER_TENANT),
    ];
    await Promise.all(loads.map((load) => load.fill(KEYS_PER_TENANT)));
    for (const load of loads) load.start();
    const migrationId = await change();
    expect(migrationId).not.toBe('');
    const migration = await waitForMigration(cluster.client, migrationId, MIGRATION_TIMEOUT_MS);
    for (const load of loads) await load.stop();
    expect(migration.status).toBe('completed');
    if (copies) expect(Number(migration.keysMigrated)).toBeGreaterThan(0);
    else expect(Number(migration.keysMigrated)).toBe(0);
    for (const load of loads) {
      expect(load.problems.slice(0, 10)).toEqual([]);
      expect(load.writes).toBeGreaterThan(KEYS_PER_TENANT);
      await expectAllReadable(load);
    }
    return loads;
  }

  it('adds a fourth node: nothing lost, every key on exactly its new preference list', async () => {
    const added = new StorageProcess('node-3', await freePort(), path.join(cluster.root, 'node-3'));
    await added.start();
    members.push(added);
    const [one, three] = await underLoad(async () => {
      const reply = await cluster.client.addNode({
        nodeId: 'node-3',
        host: '127.0.0.1',
        port: added.port,
      });
      return reply.migrationId;
    }, 'add');
    const { nodes } = await cluster.client.listNodes();
    expect(nodes.map((n) => `${n.nodeId}:${n.status}`).sort()).toEqual([
      'node-0:active',
      'node-1:active',
      'node-2:active',
      'node-3:active',
    ]);
    await expectPlacedExactly(members, 'one', 1, one!.acknowledged.keys());
    await expectPlacedExactly(members, 'three', 3, three!.acknowledged.keys());
    // After the final barrier the driver hands every member the final layout (nothing moves),
    // raising its fence to the same version.
    const finalVersions = new Set<bigint>();
    for (const node of members) {
      await waitFor(`${node.nodeId} learns the migration finished`, async () => {
        const health = await healthOf(node);
        if (health.migrationRunning || health.layoutRingVersion === 0n) return false;
        finalVersions.add(health.layoutRingVersion);
        return health.layoutRingVersion === health.minRingVersion;
      });
    }
    expect(finalVersions.size).toBe(1);
  });

  it('removes a node: nothing lost, every key on exactly its new preference list', async () => {
    const [one, three] = await underLoad(async () => {
      const reply = await cluster.client.removeNode({ nodeId: 'node-1' });
      return reply.migrationId;
    }, 'remove');
    const staying = members.filter((node) => node.nodeId !== 'node-1');
    await expectPlacedExactly(staying, 'one', 1, one!.acknowledged.keys());
    await expectPlacedExactly(staying, 'three', 3, three!.acknowledged.keys());
  });

  it('raises a tenant from replication factor 1 to 3 and lowers another from 3 to 2', async () => {
    const { nodes } = await cluster.client.listNodes();
    const active = new Set(nodes.filter((n) => n.status === 'active').map((n) => n.nodeId));
    const staying = members.filter((node) => active.has(node.nodeId));
    const [one] = await underLoad(async () => {
      const reply = await cluster.client.updateReplicationFactor({
        tenantId: 'one',
        replicationFactor: 3,
      });
      return reply.migrationId;
    }, 'raise');
    await expectPlacedExactly(staying, 'one', 3, one!.acknowledged.keys());
    const [, three] = await underLoad(
      async () => {
        const reply = await cluster.client.updateReplicationFactor({
          tenantId: 'three',
          replicationFactor: 2,
        });
        return reply.migrationId;
      },
      'lower',
      false,
    );
    await expectPlacedExactly(staying, 'three', 2, three!.acknowledged.keys());
  });
});
