// A coordinator cut off from the metadata store, but not from the storage nodes, while another
// coordinator drives a migration: every byte between it and PostgreSQL is held back by a proxy
// (so it also receives no NOTIFY), its lease lapses and it answers UNAVAILABLE instead of placing
// data under a ring it can no longer follow; the other coordinator's barriers go on without it
// once its lease lapses there too. Healed, it takes the new ring and serves again. Then the same
// coordinator receives no NOTIFY but keeps its queries: it keeps its lease and serves on, taking
// each ring version by its periodic refresh, which each migration step waits for. Every write
// either coordinator acknowledged reads back and sits on exactly its new preference list.
import { status } from '@grpc/grpc-js';
import { failure } from './cluster-harness';
import { FaultCluster } from './membership-fault-harness';
import { expectNothingLost, Load, waitForMigration } from './membership-load';
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
/**
 * The ring refresh that stands in for a missed NOTIFY (hash_ring.update_interval): short, as a
 * NOTIFY-deaf coordinator holds up each migration step until it refreshes.
 */
const RING_REFRESH_MS = 3_000;
jest.setTimeout(10 * 60_000);

const plan = planService(POSTGRES_SERVICE);

describeWithService('a coordinator cut off from the metadata store', plan, () => {
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
      coordinatorSettings: { PAIRDB_HASH_RING_UPDATE_INTERVAL: `${RING_REFRESH_MS}ms` },
    });
    await cluster.client.createTenant({ tenantId: TENANT, replicationFactor: REPLICATION_FACTOR });
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

  it('stops serving on lease lapse during a migration; nothing acknowledged is misplaced', async () => {
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
      proxy.cut('all');
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
      proxy.heal();
      for (const load of loads) await load.stop();
    }
    expect(cut.current.running).toBe(true);
    await expectEveryLoadKept(['node-0', 'node-1', 'node-2', 'node-3']);
  });

  it('serves on through a removal while it receives no NOTIFY, taking each version by refresh', async () => {
    const deaf = cluster.coordinator('coord-x');
    const loadThroughDeaf = loads[cluster.coordinators.indexOf(deaf)]!;
    for (const load of loads) load.start();
    try {
      // coord-x's LISTEN connection goes through the proxy (it reopened it after the heal).
      await waitFor(
        'a LISTEN connection through the proxy',
        async () => proxy.listeningConnections === 1,
        RECOVERY_TIMEOUT_MS,
      );
      proxy.cut('listeners');
      const writesBefore = loadThroughDeaf.writes;
      const logsBefore = deaf.current.logs.length;
      const { migrationId } = await cluster.client.removeNode({ nodeId: 'node-3' });
      const migration = await waitForMigration(cluster.client, migrationId, MIGRATION_TIMEOUT_MS);
      expect(migration.status).toBe('completed');
      // The final version, as the driver committed it; coord-x loaded it without a NOTIFY.
      const { coordinator: driver } = await cluster.driverOf(migrationId, 0);
      // The store shows the step before the driver's log line reaches this process.
      const completed = await driver.current.waitForLog(
        (l) =>
          l.msg === 'migration step committed' &&
          l['migrationId'] === migrationId &&
          l['status'] === 'completed',
        RECOVERY_TIMEOUT_MS,
      );
      const finalVersion = Number(completed['ringVersion']);
      await deaf.current.waitForLog(
        (l) => l.msg === 'ring loaded' && Number(l['ringVersion']) >= finalVersion,
        RECOVERY_TIMEOUT_MS,
        logsBefore,
      );
      // It kept its lease and kept acknowledging writes throughout.
      expect(loadThroughDeaf.writes).toBeGreaterThan(writesBefore);
      const lapses = deaf.current.logs
        .slice(logsBefore)
        .filter((l) => /lease lapsed/.test(String(l.msg)));
      expect(lapses).toEqual([]);
    } finally {
      proxy.heal();
      for (const load of loads) await load.stop();
    }
    await expectEveryLoadKept(['node-0', 'node-1', 'node-2']);
  });

  async function expectEveryLoadKept(members: string[]): Promise<void> {
    for (const load of loads) {
      await expectNothingLost(load, cluster.addresses(members), REPLICATION_FACTOR);
    }
  }
});

/** The database URL with its port replaced by the proxy's. */
function throughProxy(databaseUrl: string, port: number): string {
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}
