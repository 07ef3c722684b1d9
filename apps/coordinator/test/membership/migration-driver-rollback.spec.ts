// The migration driver over a real metadata store (embedded PGlite) and storage nodes faked in
// memory: when a range's copy rolls the migration back (a destination that keeps refusing) and
// when it waits (a destination that does not answer), and how a rollback is finished: a step of
// its own, after which every destination drops, in full, only the ranges it was to gain, even
// when the driver that began it is gone.
import { HashRing, keyToken, rangeContains, type TokenRange } from '@pairdb/hashring';
import { createLogger } from '@pairdb/service-runtime';
import {
  EMPTY_VERSION_SET,
  VersionVector,
  makeDot,
  update,
  type VersionSet,
} from '@pairdb/vectorclock';
import { Registry } from 'prom-client';
import type { DriverFence, ScannedEntry } from '../../src/grpc/storage-admin-client';
import {
  COPY_TASKS_IN_FLIGHT,
  MigrationDriver,
  type MigrationStorage,
} from '../../src/membership/migration-driver';
import { MigrationMetrics } from '../../src/membership/migration-metrics';
import { COPY_ATTEMPTS_MAX } from '../../src/membership/range-attempts';
import { SqlMetadataStore, type Migration } from '../../src/metadata';
import { openPgliteExecutor } from '../../src/metadata/pglite-executor';
import { runSchemaMigrations } from '../../src/metadata/schema-migrations';
import type { SqlExecutor } from '../../src/metadata/sql-executor';
import { ReplicaFailure } from '../../src/replicas/replica-failure';
import type { ReplicaNode } from '../../src/replicas/replica-transport';
import { MEMBERSHIP_RESET_SQL } from '../metadata/membership-store.contract';

// Starting PGlite (PostgreSQL in WebAssembly) takes seconds on a busy 2-core machine.
jest.setTimeout(60_000);

const TENANT = 't';
const REPLICATION_FACTOR = 2;
const VIRTUAL_NODES = 8;
const KEYS = 60;
/** Short pauses, so a test sees many attempts within a second or two. */
const STEP_RETRY_MS = 40;
const DRIVER_POLL_MS = 20;
const FINISH_WAIT_MS = 30_000;
/** Keys a fake DropRange removes per call: fewer than a range holds, so drops must loop. */
const DROP_KEYS_PER_CALL = 2;
const DISK_FULL = 'free disk space 1 bytes is below the minimum 2 bytes (diskFreeBytesMin)';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function versions(counter: number): VersionSet {
  return update(EMPTY_VERSION_SET, VersionVector.EMPTY, makeDot('test', BigInt(counter)), {
    value: Buffer.from(`v${counter}`),
  });
}

type Call =
  | { kind: 'raise'; node: string; fence: DriverFence }
  | { kind: 'drop'; node: string; range: TokenRange; fence: DriverFence }
  | { kind: 'repair'; node: string; outcome: 'stored' | 'refused' | 'unreachable' }
  | { kind: 'scan'; node: string; range: TokenRange };

/** Storage nodes in memory: each a map of the tenant's keys, with faults set per node. */
class FakeNodes implements MigrationStorage {
  readonly held = new Map<string, Map<string, VersionSet>>();
  readonly calls: Call[] = [];
  /** Node -> how many times it refuses each page (Infinity: all), as a full disk would. */
  readonly refusing = new Map<string, number>();
  private readonly refused = new Map<string, number>();
  /** Nodes that do not answer repairs. */
  readonly silent = new Set<string>();
  /** How many more DropRange calls fail before they go through. */
  dropFailures = 0;

  keysOf(node: string): Map<string, VersionSet> {
    let keys = this.held.get(node);
    if (!keys) this.held.set(node, (keys = new Map()));
    return keys;
  }

  async *scan(
    node: ReplicaNode,
    tenantId: string,
    range: TokenRange,
    afterKey: Buffer | null,
  ): AsyncGenerator<ScannedEntry[]> {
    this.calls.push({ kind: 'scan', node: node.nodeId, range });
    const page = this.inRange(node.nodeId, tenantId, range)
      .filter(([key]) => afterKey === null || key > afterKey.toString())
      .map(([key, set]) => ({ key, engineKey: Buffer.from(key), versions: set, sizeBytes: 1 }));
    yield page;
  }

  async digest(node: ReplicaNode, tenantId: string, range: TokenRange) {
    const entries = this.inRange(node.nodeId, tenantId, range);
    const text = entries.map(([key, set]) => `${key}=${set.siblings.length}`).join(',');
    return { buckets: [Buffer.from(text)], keyCount: entries.length, repairHorizonMs: 0 };
  }

  /** One page: refused or stored whole, as the node's RepairBatch is (keyed by its first key). */
  async repairBatch(
    node: ReplicaNode,
    _tenantId: string,
    entries: ReadonlyArray<{ readonly key: string; readonly versions: VersionSet }>,
  ) {
    if (this.silent.has(node.nodeId)) {
      this.calls.push({ kind: 'repair', node: node.nodeId, outcome: 'unreachable' });
      throw new ReplicaFailure(node.nodeId, 'unreachable', 'connect ECONNREFUSED');
    }
    const page = `${node.nodeId}/${entries[0]?.key ?? ''}`;
    const refusedSoFar = this.refused.get(page) ?? 0;
    if (refusedSoFar < (this.refusing.get(node.nodeId) ?? 0)) {
      this.refused.set(page, refusedSoFar + 1);
      this.calls.push({ kind: 'repair', node: node.nodeId, outcome: 'refused' });
      throw new ReplicaFailure(node.nodeId, 'overloaded', DISK_FULL);
    }
    this.calls.push({ kind: 'repair', node: node.nodeId, outcome: 'stored' });
    for (const { key, versions } of entries) this.keysOf(node.nodeId).set(key, versions);
  }

  async raiseRingVersion(node: ReplicaNode, fence: DriverFence) {
    this.calls.push({ kind: 'raise', node: node.nodeId, fence });
    return fence.ringVersion;
  }

  async dropRange(
    node: ReplicaNode,
    tenantId: string,
    range: TokenRange,
    afterKey: Buffer | null,
    fence: DriverFence,
  ) {
    if (this.dropFailures > 0) {
      this.dropFailures--;
      throw new ReplicaFailure(node.nodeId, 'unreachable', 'connect ECONNREFUSED');
    }
    this.calls.push({ kind: 'drop', node: node.nodeId, range, fence });
    const keys = this.inRange(node.nodeId, tenantId, range)
      .map(([key]) => key)
      .filter((key) => afterKey === null || key > afterKey.toString())
      .slice(0, DROP_KEYS_PER_CALL);
    for (const key of keys) this.keysOf(node.nodeId).delete(key);
    const left = this.inRange(node.nodeId, tenantId, range).some(
      ([key]) => afterKey === null || key > afterKey.toString(),
    );
    const lastKey = Buffer.from(keys[keys.length - 1] ?? '');
    return { keysDropped: keys.length, lastKey, done: !left };
  }

  private inRange(node: string, tenantId: string, range: TokenRange) {
    return [...this.keysOf(node)]
      .filter(([key]) => rangeContains(range, keyToken(tenantId, key)))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

const ring = (members: string[]) =>
  new HashRing(members.map((nodeId) => ({ nodeId, virtualNodes: VIRTUAL_NODES })));
const OLD = ['n1', 'n2', 'n3'];
const NEW = [...OLD, 'n4'];
const KEY_NAMES = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
const ownersAfter = (key: string) =>
  ring(NEW).preferenceList(keyToken(TENANT, key), REPLICATION_FACTOR);

describe('MigrationDriver', () => {
  let executor: SqlExecutor;
  let store: SqlMetadataStore;
  let nodes: FakeNodes;
  const drivers: MigrationDriver[] = [];

  beforeAll(async () => {
    executor = await openPgliteExecutor({});
    await runSchemaMigrations(executor);
    store = new SqlMetadataStore(executor);
  });

  afterAll(() => executor?.close());

  beforeEach(async () => {
    await executor.query(MEMBERSHIP_RESET_SQL);
    nodes = new FakeNodes();
    for (const [index, nodeId] of OLD.entries()) {
      await store.addStorageNode({
        nodeId,
        host: '127.0.0.1',
        port: 7000 + index,
        status: 'active',
        virtualNodes: VIRTUAL_NODES,
      });
    }
    await store.createTenant({ tenantId: TENANT, replicationFactor: REPLICATION_FACTOR });
    // Every key on its old replicas, as a fill at ALL would leave it.
    for (const [index, key] of KEY_NAMES.entries()) {
      for (const owner of ring(OLD).preferenceList(keyToken(TENANT, key), REPLICATION_FACTOR)) {
        nodes.keysOf(owner).set(key, versions(index + 1));
      }
    }
  });

  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((driver) => driver.stop()));
  });

  function startDriver(instanceId: string): MigrationDriver {
    const driver = new MigrationDriver(
      store,
      nodes,
      new MigrationMetrics(new Registry()),
      createLogger({ name: 'driver-test', level: 'silent' }),
      { instanceId, pollMs: DRIVER_POLL_MS, leaseMs: 5_000, stepRetryMs: STEP_RETRY_MS },
    );
    drivers.push(driver);
    driver.start();
    return driver;
  }

  async function addN4(): Promise<string> {
    const admitted = await store.admitNodeAddition('m', {
      nodeId: 'n4',
      host: '127.0.0.1',
      port: 7003,
      virtualNodes: VIRTUAL_NODES,
    });
    return admitted.migration.migrationId;
  }

  async function finished(migrationId: string): Promise<Migration> {
    const deadline = Date.now() + FINISH_WAIT_MS;
    for (;;) {
      const migration = await store.getMigration(migrationId);
      if (migration.status !== 'in_progress') return migration;
      if (Date.now() > deadline) throw new Error(`still ${migration.phase} after the wait`);
      await sleep(DRIVER_POLL_MS);
    }
  }

  /** Keys n4 would gain, put there as dual writes would, plus one key it never owns. */
  function seedN4(): { gained: string[]; stray: string } {
    const gained = KEY_NAMES.filter((key) => ownersAfter(key).includes('n4'));
    for (const key of gained) nodes.keysOf('n4').set(key, versions(1_000));
    const stray = KEY_NAMES.find((key) => !ownersAfter(key).includes('n4'))!;
    nodes.keysOf('n4').set(stray, versions(2_000));
    return { gained, stray };
  }

  /** How many times each range's source was scanned: one scan per copy attempt. */
  function scansPerRange(): number[] {
    const scans = new Map<string, number>();
    for (const call of nodes.calls) {
      if (call.kind !== 'scan') continue;
      const range = `${call.range.start}:${call.range.end}`;
      scans.set(range, (scans.get(range) ?? 0) + 1);
    }
    return [...scans.values()];
  }

  const repairsTo = (node: string) =>
    nodes.calls.filter((call) => call.kind === 'repair' && call.node === node);

  it('rolls back an addition whose destination keeps refusing the copy, and drops it all', async () => {
    nodes.refusing.set('n4', Number.POSITIVE_INFINITY);
    const { gained, stray } = seedN4();
    expect(gained.length).toBeGreaterThan(DROP_KEYS_PER_CALL);
    startDriver('driver-a');
    const migration = await finished(await addN4());

    expect(migration).toMatchObject({ status: 'rolled_back', phase: 'rolling_back' });
    expect(migration.errorMessage).toMatch(
      new RegExp(
        `^range \\(\\d+, \\d+\\] of tenant ${TENANT}: copy to n4 failed ${COPY_ATTEMPTS_MAX} ` +
          `times in a row; last error: n4: ${DISK_FULL.replace(/[()]/g, '\\$&')}$`,
      ),
    );
    // Bounded: the ranges in flight (the only ones with keys to refuse) were each tried at most
    // COPY_ATTEMPTS_MAX times (a scan of its source each), and the first to reach it stopped the
    // copy instead of retrying for ever.
    const retried = scansPerRange().filter((count) => count > 1);
    expect(Math.max(...retried)).toBe(COPY_ATTEMPTS_MAX);
    expect(retried.length).toBeLessThanOrEqual(COPY_TASKS_IN_FLIGHT);
    expect((await store.getStorageNode('n4')).status).toBe('inactive');
    // Every key n4 was to gain is gone (more than one DropRange call's worth); the key no
    // version assigns to n4 is not a moving-range key, so it stays (rule 8).
    expect([...nodes.keysOf('n4').keys()]).toEqual([stray]);
    // The drops ran under the rolling_back version, after every member's fence was raised to it,
    // and only on the destination; the old replicas kept every key.
    const rollingBack = migration.ringVersion - 1;
    const drops = nodes.calls.filter((call) => call.kind === 'drop');
    expect(drops.length).toBeGreaterThan(0);
    expect(new Set(drops.map((call) => call.node))).toEqual(new Set(['n4']));
    expect(new Set(drops.map((call) => call.fence.ringVersion))).toEqual(new Set([rollingBack]));
    const firstDrop = nodes.calls.findIndex((call) => call.kind === 'drop');
    const raisedBefore = nodes.calls
      .slice(0, firstDrop)
      .filter((call) => call.kind === 'raise' && call.fence.ringVersion === rollingBack)
      .map((call) => call.node);
    expect(new Set(raisedBefore)).toEqual(new Set(NEW));
    for (const key of KEY_NAMES) {
      for (const owner of ring(OLD).preferenceList(keyToken(TENANT, key), REPLICATION_FACTOR)) {
        expect(nodes.keysOf(owner).has(key)).toBe(true);
      }
    }
  });

  it('waits for a destination that does not answer, past any number of attempts', async () => {
    nodes.silent.add('n4');
    startDriver('driver-a');
    const migrationId = await addN4();
    const deadline = Date.now() + FINISH_WAIT_MS;
    while (Math.max(0, ...scansPerRange()) <= 2 * COPY_ATTEMPTS_MAX) {
      const { phase } = await store.getMigration(migrationId);
      const copying = phase === 'dual_write' || phase === 'data_copy';
      if (!copying || Date.now() > deadline) {
        throw new Error(`the driver stopped trying n4 (phase ${phase})`);
      }
      await sleep(STEP_RETRY_MS);
    }
    expect(await store.getMigration(migrationId)).toMatchObject({
      status: 'in_progress',
      phase: 'data_copy',
      errorMessage: null,
    });
  });

  it('completes when each page is refused fewer times in a row than the limit', async () => {
    nodes.refusing.set('n4', COPY_ATTEMPTS_MAX - 1);
    startDriver('driver-a');
    const migration = await finished(await addN4());
    expect(migration.status).toBe('completed');
    expect((await store.getStorageNode('n4')).status).toBe('active');
    for (const key of KEY_NAMES.filter((name) => ownersAfter(name).includes('n4'))) {
      expect(nodes.keysOf('n4').has(key)).toBe(true);
    }
  });

  it('finishes the drops of a rollback that another driver began, retrying failed drops', async () => {
    const migrationId = await addN4();
    const first = await store.claimMigrationDriver(migrationId, 'driver-gone', 1);
    await store.advanceMigration(migrationId, first!, 'dual_write', { phase: 'data_copy' });
    const reason = 'range (1, 2] of tenant t: copy to n4 failed 5 times in a row; last error: x';
    await store.advanceMigration(migrationId, first!, 'data_copy', {
      phase: 'rolling_back',
      errorMessage: reason,
    });
    const { stray } = seedN4();
    nodes.dropFailures = 3;
    startDriver('driver-b');
    const migration = await finished(migrationId);

    expect(migration).toMatchObject({ status: 'rolled_back', errorMessage: reason });
    expect(migration.driverEpoch).toBeGreaterThan(first!);
    expect(nodes.dropFailures).toBe(0);
    expect([...nodes.keysOf('n4').keys()]).toEqual([stray]);
    const drops = nodes.calls.filter((call) => call.kind === 'drop');
    expect(new Set(drops.map((call) => call.fence.epoch))).toEqual(
      new Set([migration.driverEpoch]),
    );
    // The driver that took over copied nothing: a rollback only drops.
    expect(repairsTo('n4')).toEqual([]);
    expect((await store.getStorageNode('n4')).status).toBe('inactive');
  });
});
