// Membership under faults, every server a separate process on one PostgreSQL database: the
// driving coordinator SIGKILLed during data_copy and started again, a driver frozen (SIGSTOP)
// past its lease while another takes over, a destination node killed during the copy, a
// destination whose disk guard refuses every write (the addition rolls back), a driver frozen
// while it rolls back, and a storage node restarted between two steps. The migrations run one
// after another on one cluster while a writer and a reader run at QUORUM through both
// coordinators; each must end as expected: nothing acknowledged lost, every key on exactly its
// preference list in the ring the migration left (the new one, or the old one after a rollback).
import { statfsSync } from 'node:fs';
import { Metadata, status } from '@grpc/grpc-js';
import { HashRing, keyToken } from '@pairdb/hashring';
import { coordinatorV1, storageV1 } from '@pairdb/proto';
import { failure, StorageClient } from './cluster-harness';
import {
  CoordinatorProcess,
  FAULT_VIRTUAL_NODES,
  FaultCluster,
  healthOf,
} from './membership-fault-harness';
import {
  expectNothingLost,
  Load,
  MigrationSampler,
  scanAsDriver,
  storedKeys,
  waitForMigration,
} from './membership-load';
import type { LogLine } from './service-process';
import {
  describeWithService,
  planService,
  POSTGRES_SERVICE,
  startService,
  type RunningService,
} from '../support/test-services';

/** Keys in the tenant before the first change: enough that the copy takes a few seconds. */
const KEYS = 4_000;
const TENANT = 'faults';
const REPLICATION_FACTOR = 3;
const MIGRATION_TIMEOUT_MS = 180_000;
/** Keys copied before the fault is injected: far enough into the copy to have checkpoints. */
const KEYS_BEFORE_FAULT = 500;
/** How far a full disk's free-space floor is above the free space: no run frees a tebibyte. */
const FLOOR_ABOVE_FREE_BYTES = 2 ** 40;
/** Keys written straight into a node before it joins, in ranges it would gain. */
const SEEDED_KEYS = 20;
jest.setTimeout(10 * 60_000);

const plan = planService(POSTGRES_SERVICE);

describeWithService('membership under faults', plan, () => {
  let postgres: RunningService;
  let cluster: FaultCluster;
  /** The active storage nodes, kept in step with each completed change. */
  let members: string[];
  let loads: Load[] = [];

  beforeAll(async () => {
    postgres = await startService(POSTGRES_SERVICE, plan);
    cluster = await FaultCluster.start({
      storageNodes: 3,
      coordinatorIds: ['coord-a', 'coord-b'],
      postgresUrl: postgres.url,
    });
    members = cluster.nodes.map((node) => node.nodeId);
    await cluster.client.createTenant({
      tenantId: TENANT,
      replicationFactor: REPLICATION_FACTOR,
    });
    // One load per coordinator, on keys of its own: a coordinator killed or frozen fails only
    // its own writes, which are then not acknowledged.
    loads = cluster.coordinators.map(
      (c) => new Load(c.client, TENANT, c.coordinatorId, KEYS / cluster.coordinators.length),
    );
    await Promise.all(loads.map((load) => load.fill(KEYS / loads.length)));
  });

  afterAll(async () => {
    await Promise.all(loads.map((load) => load.stop()));
    await cluster?.stop();
    await postgres?.stop();
  });

  /**
   * Runs `fault` during a migration under load; checks it ended `outcome`, nothing was lost, and
   * every key is placed exactly on `nextMembers`' ring.
   */
  async function underLoad(
    admit: () => Promise<string>,
    nextMembers: string[],
    fault: (migrationId: string, sampler: MigrationSampler) => Promise<void>,
    outcome: 'completed' | 'rolled_back' = 'completed',
  ) {
    for (const load of loads) load.start();
    let sampler: MigrationSampler | undefined;
    let migration: coordinatorV1.Migration;
    try {
      const migrationId = await admit();
      sampler = new MigrationSampler(
        cluster.coordinators.map((c) => c.client),
        migrationId,
      );
      await fault(migrationId, sampler);
      migration = await waitForMigration(cluster.client, migrationId, MIGRATION_TIMEOUT_MS);
    } finally {
      await sampler?.stop();
      for (const load of loads) await load.stop();
    }
    const samples = sampler.samples;
    expect(migration.status).toBe(outcome);
    members = nextMembers;
    for (const load of loads) {
      await expectNothingLost(load, cluster.addresses(members), REPLICATION_FACTOR);
    }
    return { migration, samples };
  }

  it('resumes from its checkpoints after the driving coordinator is SIGKILLed in data_copy', async () => {
    const added = await cluster.startStorageNode('node-3');
    let killed: CoordinatorProcess | undefined;
    let keysBeforeKill = 0;
    const { migration, samples } = await underLoad(
      async () =>
        (await cluster.client.addNode({ nodeId: 'node-3', host: added.host, port: added.port }))
          .migrationId,
      [...members, 'node-3'],
      async (migrationId, sampler) => {
        const driver = await cluster.driverOf(migrationId, 30_000);
        killed = driver.coordinator;
        const before = await sampler.until(
          'copy under way',
          (s) => s.phase === 'data_copy' && s.keysMigrated >= KEYS_BEFORE_FAULT,
          60_000,
        );
        killed.signal('SIGKILL');
        keysBeforeKill = before.keysMigrated;
        await killed.current.exited;
        expect(sampler.latest!.status).toBe('in_progress');
        await killed.start();
        // The next driver (either coordinator) claims a newer epoch and goes on from data_copy.
        const next = await cluster.driverOf(migrationId, 60_000, driver.epoch);
        expect(next.epoch).toBeGreaterThan(driver.epoch);
      },
    );
    expect(killed).toBeDefined();
    // keys_migrated never fell back, in particular not to 0 after the kill.
    const counts = samples.map((s) => s.keysMigrated);
    const fellBack = counts.filter((count, i) => i > 0 && count < counts[i - 1]!);
    expect(fellBack).toEqual([]);
    expect(Number(migration.keysMigrated)).toBeGreaterThanOrEqual(keysBeforeKill);
    // Resumed from the checkpoints: after the kill, the drivers copied fewer keys than node-3
    // gained in all; a copy started over would have copied about all of them again.
    let copiedAfterKill = 0;
    for (const coordinator of cluster.coordinators) {
      copiedAfterKill += await coordinator.metric('coordinator_migration_keys_copied_total');
    }
    const gained = (await storedKeys(cluster.addresses(['node-3']), TENANT)).get('node-3')!.size;
    expect(copiedAfterKill).toBeLessThan(gained - keysBeforeKill / 2);
  });

  it('refuses a driver frozen past its lease once another took over; the removal completes once', async () => {
    let frozen: CoordinatorProcess | undefined;
    let frozenEpoch = 0;
    let resumedFrom = 0;
    const { migration } = await underLoad(
      async () => (await cluster.client.removeNode({ nodeId: 'node-3' })).migrationId,
      members.filter((id) => id !== 'node-3'),
      async (migrationId, sampler) => {
        const driver = await cluster.driverOf(migrationId, 30_000);
        frozen = driver.coordinator;
        frozenEpoch = driver.epoch;
        const stoppedAt = await sampler.until(
          'copy under way',
          (s) => s.phase === 'data_copy' && s.keysMigrated >= KEYS_BEFORE_FAULT,
          60_000,
        );
        frozen.signal('SIGSTOP');
        const next = await cluster.driverOf(migrationId, 60_000, driver.epoch);
        expect(next.coordinator).not.toBe(frozen);
        // The new driver raises every node's fence with its epoch before copying on. (Progress
        // alone does not show it: the frozen driver's last progress write may land after the
        // freeze.)
        await next.coordinator.current.waitForLog(
          (l) =>
            l.msg === 'fences raised' &&
            l['migrationId'] === migrationId &&
            Number(l['epoch']) === next.epoch,
          60_000,
        );
        await sampler.until(
          'the new driver copies',
          (s) => s.keysMigrated > stoppedAt.keysMigrated || s.phase !== 'data_copy',
          60_000,
        );
        resumedFrom = frozen.current.logs.length;
        frozen.signal('SIGCONT');
        // Its next update of the migration is refused: StaleDriverError names both epochs.
        const refused = await frozen.current.waitForLog(
          (l) =>
            typeof l['err'] === 'string' &&
            l['err'].includes(
              `migration ${JSON.stringify(migrationId)}: expected epoch ${frozenEpoch}`,
            ),
          30_000,
          resumedFrom,
        );
        expect(refused['err']).toContain(`found epoch ${next.epoch}`);
        // Every storage node refuses a request with its epoch.
        for (const nodeId of members) {
          const error = await failure(
            scanAsDriver(cluster.node(nodeId).address, TENANT, {
              migrationId,
              epoch: BigInt(frozenEpoch),
            }),
          );
          expect(error.code).toBe(status.FAILED_PRECONDITION);
          expect(error.details).toContain(`driver epoch ${frozenEpoch} is below epoch`);
        }
      },
    );
    expect(migration.status).toBe('completed');
    // After the resume the frozen driver committed no step and finished nothing; the migration
    // finished once, by the new driver.
    await cluster.expectFinishedOnce(migration.migrationId, 'completed', frozen!, resumedFrom);
    const { nodes } = await cluster.client.listNodes();
    expect(nodes.find((n) => n.nodeId === 'node-3')?.status).toBe('inactive');
  });

  it('waits for a destination node SIGKILLed during the copy and completes once it is back', async () => {
    const added = await cluster.startStorageNode('node-4');
    await underLoad(
      async () =>
        (await cluster.client.addNode({ nodeId: 'node-4', host: added.host, port: added.port }))
          .migrationId,
      [...members, 'node-4'],
      async (migrationId, sampler) => {
        const { coordinator: driver } = await cluster.driverOf(migrationId, 30_000);
        await sampler.until(
          'copy under way',
          (s) => s.phase === 'data_copy' && s.keysMigrated >= KEYS_BEFORE_FAULT,
          60_000,
        );
        // Raised for data_copy before the copy began.
        const fenced = (await healthOf(added)).minRingVersion;
        expect(fenced).toBeGreaterThan(0n);
        await added.kill('SIGKILL');
        const run = driver.current;
        const logged = run.logs.length;
        // The driver retries the range (its copy from the checkpoint, or its verification)
        // while the destination is down.
        await run.waitForLog(
          (l) =>
            (l.msg === 'range copy failed; retrying from its checkpoint' ||
              l.msg === 'range verification failed; retrying') &&
            l['destination'] === 'node-4',
          30_000,
          logged,
        );
        const waiting = sampler.latest!;
        expect(waiting).toMatchObject({ phase: 'data_copy', status: 'in_progress' });
        await added.start();
        // Restarted within the step, it still refuses the version before it.
        expect((await healthOf(added)).minRingVersion).toBeGreaterThanOrEqual(fenced);
        const client = new StorageClient(added.address);
        try {
          expect((await failure(read(client, fenced - 1n))).code).toBe(status.ABORTED);
        } finally {
          client.close();
        }
      },
    );
  });

  it('rolls back an addition whose destination refuses every write, losing nothing', async () => {
    const added = await cluster.startStorageNode('node-5', fullDisk());
    const { migration, samples } = await underLoad(
      async () =>
        (await cluster.client.addNode({ nodeId: 'node-5', host: added.host, port: added.port }))
          .migrationId,
      members,
      async () => undefined,
      'rolled_back',
    );
    // A step of its own, still in progress, before the final status.
    expect(samples.some((s) => s.phase === 'rolling_back' && s.status === 'in_progress')).toBe(
      true,
    );
    expect(migration.phase).toBe('rolling_back');
    expect(migration.errorMessage).toMatch(
      new RegExp(
        `^range \\(\\d+, \\d+\\] of tenant ${TENANT}: copy to node-5 failed \\d+ times in a ` +
          'row; last error: node-5: free disk space \\d+ bytes is below the minimum',
      ),
    );
    const { nodes } = await cluster.client.listNodes();
    expect(nodes.find((n) => n.nodeId === 'node-5')?.status).toBe('inactive');
    expect((await storedKeys(cluster.addresses(['node-5']), TENANT)).get('node-5')!.size).toBe(0);
  });

  it('finishes the drops of a driver frozen while rolling back; the frozen one is refused', async () => {
    // Keys node-6 would gain, written into it before it joins: what its rollback must drop.
    const seeded = keysMovingTo('node-6', members, [...members, 'node-6'], SEEDED_KEYS);
    const added = await cluster.startStorageNode('node-6');
    const direct = new StorageClient(added.address);
    try {
      for (const [i, key] of seeded.entries()) {
        await direct.write({
          tenantId: TENANT,
          key,
          value: Buffer.from('seeded'),
          dot: { actor: 'seeder', counter: BigInt(i + 1) },
          conflictPolicy: storageV1.ConflictPolicy.CONFLICT_POLICY_LWW,
        });
      }
    } finally {
      direct.close();
    }
    // Then its disk fills: the copy is refused (a rollback), and so are the drops' deletes, so
    // the rollback cannot end while the test freezes its driver.
    await added.kill('SIGTERM');
    added.settings = fullDisk();
    await added.start();
    let frozen: CoordinatorProcess | undefined;
    let resumedFrom = 0;
    const { migration } = await underLoad(
      async () =>
        (await cluster.client.addNode({ nodeId: 'node-6', host: added.host, port: added.port }))
          .migrationId,
      members,
      async (migrationId, sampler) => {
        const driver = await cluster.driverOf(migrationId, 30_000);
        frozen = driver.coordinator;
        await sampler.until('rolling back', (s) => s.phase === 'rolling_back', 60_000);
        const dropRefused = (epoch: number) => (l: LogLine) =>
          l.msg === 'rollback drop failed; retrying' &&
          l['node'] === 'node-6' &&
          Number(l['epoch']) === epoch;
        await frozen.current.waitForLog(dropRefused(driver.epoch), 30_000);
        frozen.signal('SIGSTOP');
        const next = await cluster.driverOf(migrationId, 60_000, driver.epoch);
        expect(next.coordinator).not.toBe(frozen);
        // The new driver went on with the drops from the rolling_back phase.
        await next.coordinator.current.waitForLog(dropRefused(next.epoch), 30_000);
        expect(sampler.latest).toMatchObject({ phase: 'rolling_back', status: 'in_progress' });
        resumedFrom = frozen.current.logs.length;
        frozen.signal('SIGCONT');
        const refused = await frozen.current.waitForLog(
          (l) =>
            typeof l['err'] === 'string' &&
            l['err'].includes(
              `migration ${JSON.stringify(migrationId)}: expected epoch ${driver.epoch}`,
            ),
          30_000,
          resumedFrom,
        );
        expect(refused['err']).toContain(`found epoch ${next.epoch}`);
        for (const nodeId of [...members, 'node-6']) {
          const error = await failure(
            scanAsDriver(cluster.node(nodeId).address, TENANT, {
              migrationId,
              epoch: BigInt(driver.epoch),
            }),
          );
          expect(error.code).toBe(status.FAILED_PRECONDITION);
          expect(error.details).toContain(`driver epoch ${driver.epoch} is below epoch`);
        }
        // Room on the disk again: node-6 restarts without its floor and the drops go through.
        await added.kill('SIGTERM');
        added.settings = {};
        await added.start();
      },
      'rolled_back',
    );
    await cluster.expectFinishedOnce(migration.migrationId, 'rolled_back', frozen!, resumedFrom);
    const { nodes } = await cluster.client.listNodes();
    expect(nodes.find((n) => n.nodeId === 'node-6')?.status).toBe('inactive');
    const left = (await storedKeys(cluster.addresses(['node-6']), TENANT)).get('node-6')!;
    expect(seeded.filter((key) => left.has(key))).toEqual([]);
  });

  /** Settings for a storage node whose disk guard refuses every write: a floor above the disk. */
  function fullDisk(): Record<string, string> {
    const stats = statfsSync(cluster.root);
    const floorBytes = stats.bavail * stats.bsize + FLOOR_ABOVE_FREE_BYTES;
    return { PAIRDB_STORAGE_DISK_FREE_BYTES_MIN: String(floorBytes) };
  }

  it("keeps a storage node's minimum ring version across a restart between two steps", async () => {
    const node = cluster.node('node-0');
    const before = await healthOf(node);
    expect(before.minRingVersion).toBeGreaterThan(0n);
    await node.kill('SIGKILL');
    await node.start();
    const after = await healthOf(node);
    expect(after.minRingVersion).toBe(before.minRingVersion);
    const client = new StorageClient(node.address);
    try {
      const stale = await failure(read(client, after.minRingVersion - 1n));
      expect(stale.code).toBe(status.ABORTED);
      expect(stale.details).toContain(`minimum accepted ring version ${after.minRingVersion}`);
      const current = await read(client, after.minRingVersion);
      expect(current.found).toBe(false);
    } finally {
      client.close();
    }
  });
});

/** A direct Read of a key no test writes, under `ringVersion`. */
function read(client: StorageClient, ringVersion: bigint): Promise<storageV1.ReadResponse> {
  return new Promise((resolve, reject) =>
    client.raw.read(
      { tenantId: TENANT, key: 'never-written', ringVersion },
      new Metadata(),
      { deadline: Date.now() + 5_000 },
      (error: Error | null, reply: storageV1.ReadResponse) =>
        error ? reject(error) : resolve(reply),
    ),
  );
}

/** The ring of `members` as the coordinators build it. */
function ringOf(members: readonly string[]): HashRing {
  return new HashRing(members.map((nodeId) => ({ nodeId, virtualNodes: FAULT_VIRTUAL_NODES })));
}

/** `count` keys of the tenant that `node` gains when the ring grows from `before` to `after`. */
function keysMovingTo(
  node: string,
  before: readonly string[],
  after: readonly string[],
  count: number,
): string[] {
  const [old, next] = [ringOf(before), ringOf(after)];
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) {
    const key = `seeded-${i}`;
    const token = keyToken(TENANT, key);
    const gains =
      next.preferenceList(token, REPLICATION_FACTOR).includes(node) &&
      !old.preferenceList(token, REPLICATION_FACTOR).includes(node);
    if (gains) keys.push(key);
  }
  return keys;
}
