// End to end on real PostgreSQL and Redis: two coordinators share tenants, the ring (LISTEN/
// NOTIFY) and idempotency records.
import { freePort } from '@pairdb/test-ports';
import {
  POSTGRES_SERVICE,
  REDIS_SERVICE,
  describeWithService,
  planService,
  startService,
  type RunningService,
} from '../support/test-services';
import { createTestDatabase, type TestDatabase } from '../metadata/postgres-test-database';
import { CoordinatorClient, startCluster, StorageProcess, type Cluster } from './cluster-harness';

jest.setTimeout(120_000);

const postgresPlan = planService(POSTGRES_SERVICE);
const redisPlan = planService(REDIS_SERVICE);
const plan =
  postgresPlan.kind !== 'url' && postgresPlan.kind !== 'docker' ? postgresPlan : redisPlan;

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

describeWithService('two coordinators on real PostgreSQL and Redis', plan, () => {
  let postgres: RunningService;
  let redis: RunningService;
  let database: TestDatabase;
  let cluster: Cluster;
  let second: CoordinatorClient;
  const extraNode: { process?: StorageProcess } = {};

  beforeAll(async () => {
    postgres = await startService(POSTGRES_SERVICE, postgresPlan);
    redis = await startService(REDIS_SERVICE, redisPlan);
    database = await createTestDatabase(postgres.url);
    const redisUrl = new URL(redis.url);
    redisUrl.pathname = '/5';
    cluster = await startCluster(3, { pgUrl: database.url, redisUrl: redisUrl.toString() });
    const other = await cluster.addCoordinator('coord-two');
    second = new CoordinatorClient(`127.0.0.1:${other.grpcPort}`);
    await cluster.client.createTenant({ tenantId: 'shared', replicationFactor: 3 });
  });

  afterAll(async () => {
    second?.close();
    await extraNode.process?.kill('SIGTERM');
    await cluster?.stop();
    await database?.drop();
    await postgres?.stop();
    await redis?.stop();
  });

  it('a tenant created through one coordinator serves writes and reads through the other', async () => {
    await second.write({ tenantId: 'shared', key: 'k1', value: Buffer.from('via-two') });
    const read = await cluster.client.read({ tenantId: 'shared', key: 'k1' });
    expect(Buffer.from(read.value).toString()).toBe('via-two');
  });

  it('a retry through the other coordinator is answered from Redis as a duplicate', async () => {
    const request = {
      tenantId: 'shared',
      key: 'k2',
      value: Buffer.from('once'),
      idempotencyKey: `retry-${Date.now()}`,
    };
    const first = await cluster.client.write(request);
    const retry = await second.write(request);
    expect(first.isDuplicate).toBe(false);
    expect(retry.isDuplicate).toBe(true);
    expect(retry.vectorClock).toEqual(first.vectorClock);
  });

  it('a node added through one coordinator reaches the other through LISTEN/NOTIFY', async () => {
    const node = new StorageProcess('node-extra', await freePort(), `${cluster.root}/node-extra`);
    extraNode.process = node;
    await node.start();
    const metricsOf = async (port: number) =>
      (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const ringVersion = async () =>
      Number(
        (await metricsOf(cluster.coordinator.metricsPort)).match(
          /coordinator_ring_version (\d+)/,
        )?.[1],
      );
    const before = await ringVersion();
    expect(before).toBeGreaterThan(0);
    // With a tenant holding data the addition is a migration: its first ring version (dual
    // writes) reaches the other coordinator well under the 30 s periodic refresh, which only the
    // notification can explain.
    await second.addNode({ nodeId: node.nodeId, host: '127.0.0.1', port: node.port });
    await eventually(async () => (await ringVersion()) > before, 5_000);
  });
});
