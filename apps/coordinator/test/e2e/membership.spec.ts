// Membership over real processes (three storage nodes and two coordinators, each its own process,
// on one PostgreSQL database): a node added, a node removed, and a tenant's replication factor
// raised and lowered, each while a writer and a reader run at QUORUM through both coordinators.
// Two tenants (replication factor 1 and 3) hold KEYS_PER_TENANT keys each before the first change.
// No acknowledged write may be lost, no read of an acknowledged key may answer NOT_FOUND or an
// older value, and afterwards every key is stored on exactly its new preference list (each node's
// ScanRange, checked against a ring computed here from the node list).
import { FaultCluster, healthOf } from './membership-fault-harness';
import { expectNothingLost, Load, waitForMigration } from './membership-load';
import { waitFor } from './service-process';
import {
  describeWithService,
  planService,
  POSTGRES_SERVICE,
  startService,
  type RunningService,
} from '../support/test-services';

jest.setTimeout(15 * 60_000);

/** Keys written before the first change, per tenant (PAIRDB_TEST_MEMBERSHIP_KEYS to resize). */
const KEYS_PER_TENANT = Number(process.env['PAIRDB_TEST_MEMBERSHIP_KEYS'] ?? 20_000);
const MIGRATION_TIMEOUT_MS = 8 * 60_000;
const COORDINATORS = ['coord-a', 'coord-b'];

const plan = planService(POSTGRES_SERVICE);

describeWithService('membership changes under load', plan, () => {
  let postgres: RunningService;
  let cluster: FaultCluster;
  /** The active storage nodes, kept in step with each completed change. */
  let members: string[];
  /** Per tenant, one load per coordinator on keys of its own. */
  const loads = new Map<string, Load[]>();
  const replicationFactors = new Map([
    ['one', 1],
    ['three', 3],
  ]);

  beforeAll(async () => {
    postgres = await startService(POSTGRES_SERVICE, plan);
    cluster = await FaultCluster.start({
      storageNodes: 3,
      coordinatorIds: COORDINATORS,
      postgresUrl: postgres.url,
    });
    members = cluster.nodes.map((node) => node.nodeId);
    for (const [tenantId, replicationFactor] of replicationFactors) {
      await cluster.client.createTenant({ tenantId, replicationFactor });
      const perCoordinator = KEYS_PER_TENANT / cluster.coordinators.length;
      loads.set(
        tenantId,
        cluster.coordinators.map(
          (c) => new Load(c.client, tenantId, `${tenantId}-${c.coordinatorId}`, perCoordinator),
        ),
      );
    }
    await Promise.all(
      [...loads.values()].flat().map((load) => load.fill(KEYS_PER_TENANT / COORDINATORS.length)),
    );
  });

  afterAll(async () => {
    await Promise.all([...loads.values()].flat().map((load) => load.stop()));
    await cluster?.stop();
    await postgres?.stop();
  });

  /**
   * Runs the change admitted by `admit` under every load; checks that it completed, that nothing
   * acknowledged was lost, and that each tenant's keys sit exactly on their preference lists
   * among `nextMembers`. `copies`: whether the change moves data (lowering a factor only drops).
   */
  async function underLoad(admit: () => Promise<string>, nextMembers: string[], copies = true) {
    const all = [...loads.values()].flat();
    const writesBefore = all.map((load) => load.writes);
    for (const load of all) load.start();
    let migrationId = '';
    try {
      migrationId = await admit();
      expect(migrationId).not.toBe('');
      const migration = await waitForMigration(cluster.client, migrationId, MIGRATION_TIMEOUT_MS);
      expect(migration.status).toBe('completed');
      if (copies) expect(Number(migration.keysMigrated)).toBeGreaterThan(0);
      else expect(Number(migration.keysMigrated)).toBe(0);
    } finally {
      for (const load of all) await load.stop();
    }
    members = nextMembers;
    // The load ran throughout: every writer got writes acknowledged during the change.
    all.forEach((load, i) => expect(load.writes).toBeGreaterThan(writesBefore[i]!));
    for (const [tenantId, tenantLoads] of loads) {
      for (const load of tenantLoads) {
        await expectNothingLost(
          load,
          cluster.addresses(members),
          replicationFactors.get(tenantId)!,
        );
      }
    }
  }

  it('adds a fourth node: nothing lost, every key on exactly its new preference list', async () => {
    const added = await cluster.startStorageNode('node-3');
    await underLoad(
      async () =>
        (await cluster.client.addNode({ nodeId: 'node-3', host: added.host, port: added.port }))
          .migrationId,
      [...members, 'node-3'],
    );
    const { nodes } = await cluster.client.listNodes();
    expect(nodes.map((n) => `${n.nodeId}:${n.status}`).sort()).toEqual([
      'node-0:active',
      'node-1:active',
      'node-2:active',
      'node-3:active',
    ]);
    // After the final barrier the driver hands every member the final layout (nothing moves),
    // raising its fence to the same version.
    const finalVersions = new Set<bigint>();
    for (const node of cluster.addresses(members)) {
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
    await underLoad(
      async () => (await cluster.client.removeNode({ nodeId: 'node-1' })).migrationId,
      members.filter((id) => id !== 'node-1'),
    );
    const { nodes } = await cluster.client.listNodes();
    expect(nodes.find((n) => n.nodeId === 'node-1')?.status).toBe('inactive');
  });

  it('raises a tenant from replication factor 1 to 3 under load', async () => {
    replicationFactors.set('one', 3);
    await underLoad(
      async () =>
        (await cluster.client.updateReplicationFactor({ tenantId: 'one', replicationFactor: 3 }))
          .migrationId,
      members,
    );
  });

  it('lowers a tenant from replication factor 3 to 2 under load', async () => {
    replicationFactors.set('three', 2);
    await underLoad(
      async () =>
        (await cluster.client.updateReplicationFactor({ tenantId: 'three', replicationFactor: 2 }))
          .migrationId,
      members,
      false,
    );
  });
});
