// A coordinator cut off from the metadata store, but not from the storage nodes, while another
// coordinator drives a migration: every byte between it and PostgreSQL is held back by a proxy
// (so it also receives no NOTIFY), its lease lapses and it answers UNAVAILABLE instead of placing
// data under a ring it can no longer follow; the other coordinator's barriers go on without it
// once its lease lapses there too. Healed, it takes the new ring and serves again. Every write
// either coordinator acknowledged reads back and sits on exactly its new preference list.
import { status } from '@grpc/grpc-js';
import { failure } from './cluster-harness';
import { FaultCluster } from './membership-fault-harness';
import { expectAllReadable, expectPlacedExactly, Load, waitForMigration } from './membership-load';
import { waitFor } from './service-process';
import { TcpProxy } from './tcp-proxy';
import {
  describeWithService,
  planService,
  POSTGRES_SERVICE,
  startService,
  type RunningService,
} from '../support/test-services';

const TENANT = 'cut';
const REPLICATION_FACTOR = 3;
/** Keys each coordinator's load writes before the cut. */
const KEYS_PER_LOAD = 1_000;
const MIGRATION_TIMEOUT_MS = 180_000;
/** Its lease (FAULT_LEASE_MS) lapses within this of the cut, with room for a busy machine. */
const LAPSE_TIMEOUT_MS = 30_000;
/** Healed, it hears the held-back NOTIFYs or refreshes the ring (hash_ring.update_interval). */
const RECOVERY_TIMEOUT_MS = 90_000;
jest.setTimeout(10 * 60_000);

const plan = planService(POSTGRES_SERVICE);

describeWithService(
  'a coordinator cut off from the metadata store during a migration',
  plan,
  () => {
    let postgres: RunningService;
    let proxy: TcpProxy;
    let cluster: FaultCluster;
    let loads: Load[] = [];

    beforeAll(async () => {
      postgres = await startService(POSTGRES_SERVICE, plan);
      const server = new URL(postgres.url);
      proxy = await TcpProxy.start(server.hostname, Number(server.port || 5432));
      cluster = await FaultCluster.start({
        storageNodes: 3,
        coordinatorIds: ['coord-a', 'coord-x'],
        postgresUrl: postgres.url,
        metadataUrlFor: (id, url) => (id === 'coord-x' ? throughProxy(url, proxy.port) : url),
      });
      await cluster.client.createTenant({
        tenantId: TENANT,
        replicationFactor: REPLICATION_FACTOR,
      });
      loads = cluster.coordinators.map(
        (c) => new Load(c.client, TENANT, c.coordinatorId, KEYS_PER_LOAD),
      );
      await Promise.all(loads.map((load) => load.fill(KEYS_PER_LOAD)));
    });

    afterAll(async () => {
      await Promise.all(loads.map((load) => load.stop()));
      proxy?.heal();
      await cluster?.stop();
      await proxy?.close();
      await postgres?.stop();
    });

    it('stops serving on lease lapse and acknowledges nothing against the wrong replicas', async () => {
      const driving = cluster.coordinator('coord-a');
      const cut = cluster.coordinator('coord-x');
      const probe = (key: string) =>
        cut.client.write({
          tenantId: TENANT,
          key,
          value: Buffer.from('probe'),
          consistency: 'quorum',
        });
      for (const load of loads) load.start();
      try {
        proxy.cut();
        const added = await cluster.startStorageNode('node-3');
        const { migrationId } = await driving.client.addNode({
          nodeId: 'node-3',
          host: added.host,
          port: added.port,
        });
        let refusal = '';
        await waitFor(
          'coord-x refuses for its lapsed lease',
          async () => {
            const error = await failure(probe('probe-lapse'));
            refusal = error.details;
            return error.code === status.UNAVAILABLE && /lease/.test(error.details);
          },
          LAPSE_TIMEOUT_MS,
        );
        expect(refusal).toContain('lease');

        const migration = await waitForMigration(driving.client, migrationId, MIGRATION_TIMEOUT_MS);
        expect(migration.status).toBe('completed');
        expect((await cluster.driverOf(migrationId, 0)).coordinator).toBe(driving);
        // Still cut off, it still refuses: it cannot renew its lease.
        expect((await failure(probe('probe-still-cut'))).code).toBe(status.UNAVAILABLE);

        proxy.heal();
        await waitFor(
          'coord-x serves again after the heal',
          async () => (await probe('probe-healed')).success,
          RECOVERY_TIMEOUT_MS,
        );
      } finally {
        for (const load of loads) await load.stop();
      }
      expect(cut.current.running).toBe(true);
      const members = ['node-0', 'node-1', 'node-2', 'node-3'];
      for (const load of loads) {
        expect(load.problems.slice(0, 10)).toEqual([]);
        await expectAllReadable(load);
        await expectPlacedExactly(
          cluster.addresses(members),
          TENANT,
          REPLICATION_FACTOR,
          load.acknowledged.keys(),
        );
      }
    });
  },
);

/** The database URL with its port replaced by the proxy's. */
function throughProxy(databaseUrl: string, port: number): string {
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}
