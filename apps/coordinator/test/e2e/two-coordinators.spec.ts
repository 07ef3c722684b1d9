// Two coordinators (distinct ids, so distinct dot actors) write the same keys at the same time
// over the same storage nodes and the same PostgreSQL metadata. Under `siblings` both values
// survive as siblings; under `lww` every replica converges on one and the same winner.
import {
  POSTGRES_SERVICE,
  describeWithService,
  planService,
  startService,
  type RunningService,
} from '../support/test-services';
import { createTestDatabase, type TestDatabase } from '../metadata/postgres-test-database';
import {
  CoordinatorClient,
  startCluster,
  StorageClient,
  type Cluster,
  text,
} from './cluster-harness';

jest.setTimeout(180_000);

/** Keys written by both coordinators at once, in one burst. */
const KEY_COUNT = 20;
const KEYS = Array.from({ length: KEY_COUNT }, (_, index) => `race-${index}`);
const FIRST_ID = 'coord-e2e';
const SECOND_ID = 'coord-two';

const plan = planService(POSTGRES_SERVICE);

describeWithService('two coordinators writing the same keys at once', plan, () => {
  let postgres: RunningService;
  let database: TestDatabase;
  let cluster: Cluster;
  let second: CoordinatorClient;

  /** Each replica's stored siblings of `key`, read directly through the storage-node RPC. */
  async function replicaStates(tenantId: string, key: string) {
    return Promise.all(
      cluster.nodes.map(async (node) => {
        const direct = new StorageClient(node.address);
        try {
          const reply = await direct.read(tenantId, key);
          return (reply.versions?.siblings ?? []).map((s) => ({
            value: text(s.value),
            actor: s.dot?.actor,
            counter: s.dot?.counter,
          }));
        } finally {
          direct.close();
        }
      }),
    );
  }

  /** Both coordinators write every key at once; `all` so each replica applies both writes. */
  async function writeFromBoth(tenantId: string): Promise<void> {
    await Promise.all(
      KEYS.flatMap((key) => [
        cluster.client.write({
          tenantId,
          key,
          value: Buffer.from(`one-${key}`),
          consistency: 'all',
        }),
        second.write({ tenantId, key, value: Buffer.from(`two-${key}`), consistency: 'all' }),
      ]),
    );
  }

  beforeAll(async () => {
    postgres = await startService(POSTGRES_SERVICE, plan);
    database = await createTestDatabase(postgres.url);
    cluster = await startCluster(3, { pgUrl: database.url });
    const other = await cluster.addCoordinator(SECOND_ID);
    second = new CoordinatorClient(`127.0.0.1:${other.grpcPort}`);
    await cluster.client.createTenant({
      tenantId: 'keep-both',
      replicationFactor: 3,
      conflictResolution: 'siblings',
    });
    await cluster.client.createTenant({
      tenantId: 'one-wins',
      replicationFactor: 3,
      conflictResolution: 'lww',
    });
  });

  afterAll(async () => {
    second?.close();
    await cluster?.stop();
    await database?.drop();
    await postgres?.stop();
  });

  it('siblings tenant: both values survive as siblings, on every replica and in the read', async () => {
    await writeFromBoth('keep-both');
    for (const key of KEYS) {
      const expected = [`one-${key}`, `two-${key}`];
      for (const state of await replicaStates('keep-both', key)) {
        expect({ key, values: state.map((s) => s.value).sort() }).toEqual({
          key,
          values: expected,
        });
        expect(state.map((s) => s.actor).sort()).toEqual([FIRST_ID, SECOND_ID]);
      }
      const read = await second.read({ tenantId: 'keep-both', key, consistency: 'all' });
      expect(read.siblings.map((s) => text(s.value)).sort()).toEqual(expected);
    }
  });

  it('lww tenant: every replica holds the same single winner, which reads answer', async () => {
    await writeFromBoth('one-wins');
    for (const key of KEYS) {
      const states = await replicaStates('one-wins', key);
      const [first] = states;
      expect(first).toHaveLength(1);
      expect([`one-${key}`, `two-${key}`]).toContain(first![0]!.value);
      for (const state of states) expect({ key, state }).toEqual({ key, state: first });
      for (const client of [cluster.client, second]) {
        const read = await client.read({ tenantId: 'one-wins', key, consistency: 'all' });
        expect(read.siblings.map((s) => text(s.value))).toEqual([first![0]!.value]);
      }
    }
  });
});
