// Membership races over real processes on one PostgreSQL database: three changes sent at once
// through two coordinators (exactly one admitted, the others refused naming it); a node added
// and removed again under a delete-heavy QUORUM load; and a delete made while a hint is parked
// for the leaving node. No deleted key may read back afterwards.
import { status } from '@grpc/grpc-js';
import { FaultCluster, healthOf } from './membership-fault-harness';
import { waitFor } from './service-process';
import { DeleteHeavyLoad, expectDeletesHeld, readState, waitForMigration } from './membership-load';
import {
  describeWithService,
  planService,
  POSTGRES_SERVICE,
  startService,
  type RunningService,
} from '../support/test-services';

const MIGRATION_TIMEOUT_MS = 180_000;
/** Keys each delete-heavy loop owns. */
const KEYS_PER_LOOP = 250;
const LOOPS = 4;
/** Keys written while the leaving node is frozen, then deleted during its removal. */
const HINTED_KEYS = 100;
/** How long hints get to be parked, or delivered once their owner answers again. */
const HINT_DELIVERY_TIMEOUT_MS = 30_000;
jest.setTimeout(10 * 60_000);

const plan = planService(POSTGRES_SERVICE);

describeWithService('membership races', plan, () => {
  let postgres: RunningService;
  let cluster: FaultCluster;

  beforeAll(async () => {
    postgres = await startService(POSTGRES_SERVICE, plan);
    cluster = await FaultCluster.start({
      storageNodes: 4,
      coordinatorIds: ['coord-a', 'coord-b'],
      postgresUrl: postgres.url,
    });
    await cluster.client.createTenant({ tenantId: 'race', replicationFactor: 2 });
    await cluster.client.createTenant({ tenantId: 'deletes', replicationFactor: 3 });
  });

  afterAll(async () => {
    await cluster?.stop();
    await postgres?.stop();
  });

  it('admits exactly one of an addition, a removal and a factor change sent at once', async () => {
    const joining = await cluster.startStorageNode('node-4');
    const [a, b] = [cluster.coordinator('coord-a').client, cluster.coordinator('coord-b').client];
    const outcomes = await Promise.allSettled([
      a.addNode({ nodeId: 'node-4', host: joining.host, port: joining.port }),
      b.removeNode({ nodeId: 'node-3' }),
      b.updateReplicationFactor({ tenantId: 'race', replicationFactor: 3 }),
    ]);
    const admitted = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    expect(admitted).toHaveLength(1);
    const migrationId = admitted[0]!.migrationId;
    expect(migrationId).not.toBe('');
    const refusals = outcomes.flatMap((o) =>
      o.status === 'rejected' ? [o.reason as { code: number; details: string }] : [],
    );
    expect(refusals.map((r) => r.code)).toEqual([
      status.FAILED_PRECONDITION,
      status.FAILED_PRECONDITION,
    ]);
    for (const refusal of refusals) {
      expect(refusal.details).toContain(`migration ${JSON.stringify(migrationId)}`);
      expect(refusal.details).toContain('one migration runs at a time');
    }
    const migration = await waitForMigration(a, migrationId, MIGRATION_TIMEOUT_MS);
    expect(migration.status).toBe('completed');
  });

  it('adds and removes the same node under a delete-heavy load: no deleted key returns', async () => {
    const load = new DeleteHeavyLoad(cluster.client, 'deletes', 'churn', KEYS_PER_LOOP, LOOPS);
    await load.fill();
    const node = await cluster.startStorageNode('node-5');
    load.start();
    // Deletes acknowledged while each migration ran: the load overlapped both.
    const deletesDuring: number[] = [];
    try {
      let before = load.deletes;
      const added = await cluster.client.addNode({
        nodeId: 'node-5',
        host: node.host,
        port: node.port,
      });
      expect(
        (await waitForMigration(cluster.client, added.migrationId, MIGRATION_TIMEOUT_MS)).status,
      ).toBe('completed');
      deletesDuring.push(load.deletes - before);
      before = load.deletes;
      const removed = await cluster.client.removeNode({ nodeId: 'node-5' });
      expect(
        (await waitForMigration(cluster.client, removed.migrationId, MIGRATION_TIMEOUT_MS)).status,
      ).toBe('completed');
      deletesDuring.push(load.deletes - before);
    } finally {
      await load.stop();
    }
    expect(deletesDuring).toHaveLength(2);
    for (const count of deletesDuring) expect(count).toBeGreaterThan(0);
    expect(load.deletedKeys().length).toBeGreaterThan(0);
    await expectDeletesHeld(load);
  });

  it('keeps a delete made while a hint is parked for the leaving node', async () => {
    const leaving = await cluster.startStorageNode('node-6');
    const added = await cluster.client.addNode({
      nodeId: 'node-6',
      host: leaving.host,
      port: leaving.port,
    });
    await waitForMigration(cluster.client, added.migrationId, MIGRATION_TIMEOUT_MS);
    const others = cluster.nodes.filter((n) => n.child && n.nodeId !== 'node-6');
    const pendingBefore = await hintsPending(others);

    // Frozen, node-6 misses these writes; stand-ins park hints for it.
    leaving.child!.kill('SIGSTOP');
    const keys = Array.from({ length: HINTED_KEYS }, (_, i) => `hinted-${i}`);
    await Promise.all(
      keys.map((key) =>
        cluster.client.write({
          tenantId: 'deletes',
          key,
          value: Buffer.from('before the delete'),
          consistency: 'quorum',
        }),
      ),
    );
    await waitFor(
      'hints parked for node-6',
      async () => (await hintsPending(others)) > pendingBefore,
      HINT_DELIVERY_TIMEOUT_MS,
    );

    const removal = await cluster.client.removeNode({ nodeId: 'node-6' });
    await Promise.all(
      keys.map((key) => cluster.client.delete({ tenantId: 'deletes', key, consistency: 'quorum' })),
    );
    // Thawed, node-6 receives the parked hints (the writes the deletes removed) while it leaves.
    leaving.child!.kill('SIGCONT');
    const migration = await waitForMigration(
      cluster.client,
      removal.migrationId,
      MIGRATION_TIMEOUT_MS,
    );
    expect(migration.status).toBe('completed');
    await waitFor(
      'parked hints delivered',
      async () => (await hintsPending(others)) <= pendingBefore,
      HINT_DELIVERY_TIMEOUT_MS,
    );

    const returned: string[] = [];
    for (const key of keys) {
      const seen = await readState(cluster.client, 'deletes', key);
      if (seen !== null) returned.push(`${key}: ${seen}`);
    }
    expect(returned).toEqual([]);
  });
});

async function hintsPending(nodes: readonly { nodeId: string; address: string }[]) {
  let sum = 0;
  for (const node of nodes) sum += Number((await healthOf(node)).hintsPending);
  return sum;
}
