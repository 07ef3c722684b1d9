// The MetadataStore contract on real PostgreSQL (PAIRDB_TEST_PG_URL, or a postgres:15
// container), in a database created for this run and dropped after it; plus what only the
// pooled driver does: several connections, LISTEN on a connection of its own that comes back.
import {
  MetadataUnavailableError,
  openPostgresMetadataStore,
  type MetadataStore,
} from '../../src/metadata';
import {
  POSTGRES_SERVICE,
  describeWithService,
  planService,
  startService,
  type RunningService,
} from '../support/test-services';
import {
  MEMBERSHIP_RESET_SQL,
  membershipContract,
  type MembershipContractTarget,
} from './membership-store.contract';
import { ANTI_ENTROPY_RESET_SQL, antiEntropyContract } from './anti-entropy-store.contract';
import { metadataStoreContract, type MetadataContractTarget } from './metadata-store.contract';
import { createTestDatabase, type TestDatabase } from './postgres-test-database';
import { Client } from 'pg';

jest.setTimeout(60_000);

const plan = planService(POSTGRES_SERVICE);

describeWithService('SqlMetadataStore on PostgreSQL', plan, () => {
  let server: RunningService;
  let database: TestDatabase;
  let target: MetadataContractTarget;

  beforeAll(async () => {
    server = await startService(POSTGRES_SERVICE, plan);
    database = await createTestDatabase(server.url);
    const options = { url: database.url, maxConnections: 4, minConnections: 0 };
    const [first, second] = await Promise.all([
      openPostgresMetadataStore(options),
      openPostgresMetadataStore(options),
    ]);
    // Both opened the same database at once: the schema went in exactly once.
    expect([first.migrations.applied, second.migrations.applied].flat()).toEqual([
      '001_initial_schema.sql',
      '002_membership.sql',
      '003_rolling_back.sql',
      '004_anti_entropy.sql',
      '005_repairs.sql',
    ]);
    target = { store: first.store, peer: second.store };
  });

  afterAll(async () => {
    await target?.store.close();
    await target?.peer.close();
    await database?.drop();
    await server?.stop();
  });

  metadataStoreContract(() => target);

  it('listens again after its LISTEN connection is killed, reporting the current version', async () => {
    const seen: number[] = [];
    const unsubscribe = await target.peer.onRingChange((version) => seen.push(version));
    try {
      const admin = new Client({ connectionString: database.url });
      await admin.connect();
      try {
        const killed = await admin.query(
          `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
           WHERE datname = current_database() AND query LIKE 'LISTEN%'`,
        );
        expect(killed.rows.length).toBeGreaterThan(0);
      } finally {
        await admin.end();
      }
      const current = await target.store.getRingVersion();
      await waitUntil(() => seen.includes(current));
      const bumped = await target.store.bumpRingVersion();
      await waitUntil(() => seen.includes(bumped));
    } finally {
      await unsubscribe();
    }
  });
});

// The membership and anti-entropy contracts each get a fresh database and two stores on it.
const twoStoreContracts: Array<[string, string, (target: () => MembershipContractTarget) => void]> =
  [
    ['membership', MEMBERSHIP_RESET_SQL, membershipContract],
    ['anti-entropy', ANTI_ENTROPY_RESET_SQL, antiEntropyContract],
  ];

for (const [part, resetSql, contract] of twoStoreContracts) {
  describeWithService(`SqlMetadataStore ${part} on PostgreSQL`, plan, () => {
    let server: RunningService;
    let database: TestDatabase;
    let target: MembershipContractTarget;

    beforeAll(async () => {
      server = await startService(POSTGRES_SERVICE, plan);
      database = await createTestDatabase(server.url);
      const options = { url: database.url, maxConnections: 4, minConnections: 0 };
      const first = await openPostgresMetadataStore(options);
      const second = await openPostgresMetadataStore(options);
      target = {
        store: first.store,
        peer: second.store,
        reset: async () => {
          const admin = new Client({ connectionString: database.url });
          await admin.connect();
          try {
            await admin.query(resetSql);
          } finally {
            await admin.end();
          }
        },
      };
    });

    afterAll(async () => {
      await target?.store.close();
      await target?.peer.close();
      await database?.drop();
      await server?.stop();
    });

    contract(() => target);
  });
}

describe('SqlMetadataStore on an unreachable PostgreSQL', () => {
  let store: MetadataStore | undefined;

  afterEach(() => store?.close());

  it('fails to open with MetadataUnavailableError naming the cause', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const opening = openPostgresMetadataStore({ url: 'postgres://nobody@127.0.0.1:1/none' });
    await expect(opening).rejects.toBeInstanceOf(MetadataUnavailableError);
    await expect(opening).rejects.toThrow(/ECONNREFUSED|connect/);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
