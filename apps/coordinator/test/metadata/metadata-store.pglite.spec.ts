// The MetadataStore contract on embedded PGlite persisted in a temporary data dir, plus what
// only the embedded store promises: the data survives a close and reopen.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openEmbeddedMetadataStore, SqlMetadataStore } from '../../src/metadata';
import { openPgliteExecutor } from '../../src/metadata/pglite-executor';
import { runSchemaMigrations } from '../../src/metadata/schema-migrations';
import type { SqlExecutor } from '../../src/metadata/sql-executor';
import {
  MEMBERSHIP_RESET_SQL,
  membershipContract,
  type MembershipContractTarget,
} from './membership-store.contract';
import { ANTI_ENTROPY_RESET_SQL, antiEntropyContract } from './anti-entropy-store.contract';
import { metadataStoreContract, type MetadataContractTarget } from './metadata-store.contract';

// Starting PGlite (PostgreSQL in WebAssembly) takes seconds on a busy 2-core machine.
jest.setTimeout(60_000);

describe('SqlMetadataStore on PGlite', () => {
  let dataRoot: string;
  let dataDir: string;
  let executor: SqlExecutor;
  let target: MetadataContractTarget;

  beforeAll(async () => {
    dataRoot = mkdtempSync(path.join(tmpdir(), 'pairdb-pglite-'));
    dataDir = path.join(dataRoot, 'metadata');
    executor = await openPgliteExecutor({ dataDir });
    await runSchemaMigrations(executor);
    // PGlite is a single connection per process: the peer is a second store over it.
    target = { store: new SqlMetadataStore(executor), peer: new SqlMetadataStore(executor) };
  });

  afterAll(async () => {
    await executor?.close();
    rmSync(dataRoot, { recursive: true, force: true });
  });

  metadataStoreContract(() => target);

  it('keeps tenants, nodes and the ring version across close and reopen', async () => {
    await target.store.createTenant({ tenantId: 'durable', replicationFactor: 2 });
    const ringVersion = await target.store.bumpRingVersion();
    await executor.close();
    await expect(target.store.ping()).rejects.toMatchObject({ name: 'MetadataUnavailableError' });

    const reopened = await openEmbeddedMetadataStore(dataDir);
    try {
      expect(reopened.kind).toBe('pglite');
      expect(reopened.migrations.applied).toEqual([]);
      expect(reopened.migrations.alreadyApplied).toEqual([
        '001_initial_schema.sql',
        '002_membership.sql',
        '003_rolling_back.sql',
        '004_anti_entropy.sql',
        '005_repairs.sql',
      ]);
      expect((await reopened.store.getTenant('durable')).replicationFactor).toBe(2);
      expect(await reopened.store.getRingVersion()).toBe(ringVersion);
    } finally {
      await reopened.store.close();
    }
  });
});

// The membership and anti-entropy contracts each get a fresh PGlite and two stores on it.
const twoStoreContracts: Array<[string, string, (target: () => MembershipContractTarget) => void]> =
  [
    ['membership', MEMBERSHIP_RESET_SQL, membershipContract],
    ['anti-entropy', ANTI_ENTROPY_RESET_SQL, antiEntropyContract],
  ];

for (const [part, resetSql, contract] of twoStoreContracts) {
  describe(`SqlMetadataStore ${part} on PGlite`, () => {
    let executor: SqlExecutor;
    let target: MembershipContractTarget;

    beforeAll(async () => {
      executor = await openPgliteExecutor({});
      await runSchemaMigrations(executor);
      target = {
        store: new SqlMetadataStore(executor),
        peer: new SqlMetadataStore(executor),
        reset: () => executor.executeScript(resetSql),
      };
    });

    afterAll(() => executor?.close());

    contract(() => target);
  });
}
