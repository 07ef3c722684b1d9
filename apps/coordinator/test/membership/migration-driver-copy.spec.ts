// The migration driver's copy (docs/architecture.md#membership-and-migrations) over the real
// metadata store (PGlite in memory) and storage nodes faked in memory: a node joins three that
// hold two tenants' keys. Checked: the migration completes with every key of every moving range
// on the new node; each checkpoint is written only once the destination acknowledged every key
// it covers (rule 4); every copy request carries the driver fence (rule 6); several ranges are
// copied at once, never more than COPY_TASKS_IN_FLIGHT; the progress counts what was copied.
import { createHash } from 'node:crypto';
import { keyToken, rangeContains, type TokenRange } from '@pairdb/hashring';
import { createLogger } from '@pairdb/service-runtime';
import {
  EMPTY_VERSION_SET,
  encodeVersionSet,
  update,
  VersionVector,
  type VersionSet,
} from '@pairdb/vectorclock';
import { Registry } from 'prom-client';
import type {
  DriverFence,
  RangeDigest,
  ScannedEntry,
  StorageAdminClient,
} from '../../src/grpc/storage-admin-client';
import { SqlMetadataStore, type CopyCheckpoint } from '../../src/metadata';
import { openPgliteExecutor } from '../../src/metadata/pglite-executor';
import { runSchemaMigrations } from '../../src/metadata/schema-migrations';
import type { SqlExecutor } from '../../src/metadata/sql-executor';
import {
  COPY_TASKS_IN_FLIGHT,
  MigrationDriver,
  type MigrationStore,
} from '../../src/membership/migration-driver';
import { MigrationMetrics } from '../../src/membership/migration-metrics';
import type { ReplicaNode } from '../../src/replicas/replica-transport';

// Starting PGlite (PostgreSQL in WebAssembly) takes seconds on a busy 2-core machine.
jest.setTimeout(120_000);

const MIGRATION_ID = 'mig-copy';
const KEYS_PER_TENANT = 300;
/** Small pages, so a range takes several and the read-ahead is exercised. */
const PAGE_ENTRIES = 7;
const TENANTS = [
  { tenantId: 'one', replicationFactor: 1 },
  { tenantId: 'three', replicationFactor: 3 },
];

interface StoredKey {
  readonly tenantId: string;
  readonly key: string;
  readonly versions: VersionSet;
}

const engineKeyOf = (tenantId: string, key: string) => Buffer.from(`${tenantId}\u0000${key}`);

/** Storage nodes in memory, answering the calls the driver makes, and recording them. */
class FakeStorage {
  readonly nodes = new Map<string, Map<string, StoredKey>>();
  /** `destination tenant key` of every key a RepairBatch answer acknowledged. */
  readonly acknowledged = new Set<string>();
  readonly fences: Array<{ call: string; fence: DriverFence }> = [];
  repairBatchesInFlight = 0;
  repairBatchesInFlightMax = 0;
  keysRepaired = 0;

  hold(nodeId: string, entry: StoredKey): void {
    let keys = this.nodes.get(nodeId);
    if (!keys) this.nodes.set(nodeId, (keys = new Map()));
    keys.set(engineKeyOf(entry.tenantId, entry.key).toString('latin1'), entry);
  }

  inRange(nodeId: string, tenantId: string, range: TokenRange): StoredKey[] {
    return [...(this.nodes.get(nodeId)?.values() ?? [])]
      .filter((e) => e.tenantId === tenantId && rangeContains(range, keyToken(tenantId, e.key)))
      .sort((a, b) =>
        Buffer.compare(engineKeyOf(a.tenantId, a.key), engineKeyOf(b.tenantId, b.key)),
      );
  }

  async *scan(
    node: ReplicaNode,
    tenantId: string,
    range: TokenRange,
    afterKey: Buffer | null,
    fence: DriverFence,
  ): AsyncGenerator<ScannedEntry[]> {
    this.fences.push({ call: 'scan', fence });
    const entries = this.inRange(node.nodeId, tenantId, range)
      .map((e) => ({
        key: e.key,
        engineKey: engineKeyOf(e.tenantId, e.key),
        versions: e.versions,
        sizeBytes: encodeVersionSet(e.versions).length,
      }))
      .filter((e) => afterKey === null || Buffer.compare(e.engineKey, afterKey) > 0);
    for (let start = 0; start < entries.length; start += PAGE_ENTRIES) {
      await new Promise((resolve) => setImmediate(resolve));
      yield entries.slice(start, start + PAGE_ENTRIES);
    }
  }

  async digest(
    node: ReplicaNode,
    tenantId: string,
    range: TokenRange,
    fence: DriverFence,
  ): Promise<RangeDigest> {
    this.fences.push({ call: 'digest', fence });
    const hash = createHash('sha256');
    const entries = this.inRange(node.nodeId, tenantId, range);
    for (const e of entries) hash.update(e.key).update(encodeVersionSet(e.versions));
    return { buckets: [hash.digest()], keyCount: entries.length, repairHorizonMs: 0 };
  }

  async repairBatch(
    node: ReplicaNode,
    tenantId: string,
    entries: ReadonlyArray<{ readonly key: string; readonly versions: VersionSet }>,
    _policy: unknown,
    fence: DriverFence,
  ): Promise<void> {
    this.fences.push({ call: 'repairBatch', fence });
    this.repairBatchesInFlight++;
    this.repairBatchesInFlightMax = Math.max(
      this.repairBatchesInFlightMax,
      this.repairBatchesInFlight,
    );
    try {
      // The destination takes a while to make the batch durable.
      await new Promise((resolve) => setTimeout(resolve, 5));
      for (const entry of entries) {
        this.hold(node.nodeId, { tenantId, key: entry.key, versions: entry.versions });
        this.acknowledged.add(`${node.nodeId} ${tenantId} ${entry.key}`);
      }
      this.keysRepaired += entries.length;
    } finally {
      this.repairBatchesInFlight--;
    }
  }

  async raiseRingVersion(_node: ReplicaNode, fence: DriverFence): Promise<number> {
    this.fences.push({ call: 'raiseRingVersion', fence });
    return fence.ringVersion;
  }

  async dropRange(
    node: ReplicaNode,
    tenantId: string,
    range: TokenRange,
    _afterKey: Buffer | null,
    fence: DriverFence,
  ): Promise<{ keysDropped: number; lastKey: Buffer; done: boolean }> {
    this.fences.push({ call: 'dropRange', fence });
    const dropped = this.inRange(node.nodeId, tenantId, range);
    for (const e of dropped) {
      this.nodes.get(node.nodeId)!.delete(engineKeyOf(e.tenantId, e.key).toString('latin1'));
    }
    return { keysDropped: dropped.length, lastKey: Buffer.alloc(0), done: true };
  }
}

describe('migration driver copy', () => {
  let executor: SqlExecutor;
  let store: SqlMetadataStore;
  const storage = new FakeStorage();
  /** Checkpoints written while a key they cover was not yet acknowledged by the destination. */
  const earlyCheckpoints: string[] = [];
  const checkpoints: CopyCheckpoint[] = [];

  beforeAll(async () => {
    executor = await openPgliteExecutor({});
    await runSchemaMigrations(executor);
    store = new SqlMetadataStore(executor);
    for (const [index, nodeId] of ['n1', 'n2', 'n3'].entries()) {
      await store.addStorageNode({
        nodeId,
        host: '127.0.0.1',
        port: 7001 + index,
        virtualNodes: 8,
        status: 'active',
      });
    }
    for (const tenant of TENANTS) {
      await store.createTenant({ ...tenant, conflictResolution: 'lww' });
      for (let i = 0; i < KEYS_PER_TENANT; i++) {
        const key = `key-${i}`;
        const versions = update(
          EMPTY_VERSION_SET,
          VersionVector.EMPTY,
          { actor: 'c', counter: BigInt(i + 1) },
          { value: Buffer.from(`value-${i}`) },
        );
        // Every old node holds every key: each copy source has what its range needs.
        for (const nodeId of ['n1', 'n2', 'n3']) {
          storage.hold(nodeId, { tenantId: tenant.tenantId, key, versions });
        }
      }
    }
    await store.admitNodeAddition(MIGRATION_ID, {
      nodeId: 'n4',
      host: '127.0.0.1',
      port: 7004,
      virtualNodes: 8,
    });
  });

  afterAll(() => executor?.close());

  it('copies every moving range, checkpoints after acknowledgements, fenced, several at once', async () => {
    const watched: MigrationStore = {
      getRing: () => store.getRing(),
      listTenants: () => store.listTenants(),
      getUnfinishedMigration: () => store.getUnfinishedMigration(),
      claimMigrationDriver: (...args) => store.claimMigrationDriver(...args),
      renewMigrationDriver: (...args) => store.renewMigrationDriver(...args),
      advanceMigration: (...args) => store.advanceMigration(...args),
      recordMigrationProgress: (...args) => store.recordMigrationProgress(...args),
      listCopyCheckpoints: (...args) => store.listCopyCheckpoints(...args),
      listLiveCoordinators: () => store.listLiveCoordinators(),
      upsertCopyCheckpoint: async (epoch: number, checkpoint: CopyCheckpoint) => {
        const range = { start: checkpoint.rangeStart, end: checkpoint.rangeEnd };
        for (const e of storage.inRange(checkpoint.sourceNodeId, checkpoint.tenantId, range)) {
          const covered =
            checkpoint.lastKey !== null &&
            Buffer.compare(engineKeyOf(e.tenantId, e.key), checkpoint.lastKey) <= 0;
          const acknowledged = storage.acknowledged.has(
            `${checkpoint.destinationNodeId} ${e.tenantId} ${e.key}`,
          );
          if (covered && !acknowledged) earlyCheckpoints.push(`${e.tenantId}/${e.key}`);
        }
        checkpoints.push(checkpoint);
        return store.upsertCopyCheckpoint(epoch, checkpoint);
      },
    };
    const driver = new MigrationDriver(
      watched,
      storage as unknown as StorageAdminClient,
      new MigrationMetrics(new Registry()),
      createLogger({ name: 'test', level: 'silent', format: 'json' }),
      { instanceId: 'driver-test', pollMs: 50 },
    );
    driver.start();
    let migration = await store.getMigration(MIGRATION_ID);
    try {
      const deadline = Date.now() + 100_000;
      while (migration.status === 'in_progress' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        migration = await store.getMigration(MIGRATION_ID);
      }
    } finally {
      await driver.stop();
    }
    expect(migration.status).toBe('completed');

    // Every key of every range n4 gained is on n4 with the source's versions.
    const n4Ranges = checkpoints.filter((c) => c.destinationNodeId === 'n4');
    expect(n4Ranges.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const c of n4Ranges) {
      const range = { start: c.rangeStart, end: c.rangeEnd };
      for (const e of storage.inRange(c.sourceNodeId, c.tenantId, range)) {
        const held = storage.nodes
          .get('n4')
          ?.get(engineKeyOf(e.tenantId, e.key).toString('latin1'));
        if (
          !held ||
          !Buffer.from(encodeVersionSet(held.versions)).equals(
            Buffer.from(encodeVersionSet(e.versions)),
          )
        ) {
          missing.push(`${e.tenantId}/${e.key}`);
        }
      }
    }
    expect(missing).toEqual([]);
    expect(storage.keysRepaired).toBeGreaterThan(0);

    // Rule 4: no checkpoint ran ahead of the destination's acknowledgement; every copy completed.
    expect(earlyCheckpoints).toEqual([]);
    const stored = await store.listCopyCheckpoints(MIGRATION_ID);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.filter((c) => !c.completed)).toEqual([]);

    // Rule 6: every request carried this driver's migration and epoch.
    const foreign = storage.fences.filter(
      ({ fence }) => fence.migrationId !== MIGRATION_ID || fence.epoch !== 1,
    );
    expect(foreign).toEqual([]);
    expect(storage.fences.filter((f) => f.call === 'repairBatch').length).toBeGreaterThan(0);

    // Ranges overlap, within the bound.
    expect(storage.repairBatchesInFlightMax).toBeGreaterThan(1);
    expect(storage.repairBatchesInFlightMax).toBeLessThanOrEqual(COPY_TASKS_IN_FLIGHT);

    // The status counts the keys copied: one per key a batch carried (verification re-merged
    // none, the digests being equal).
    expect(migration.keysMigrated).toBe(storage.keysRepaired);
    expect(migration.totalKeys).toBeGreaterThanOrEqual(migration.keysMigrated);
  });
});
