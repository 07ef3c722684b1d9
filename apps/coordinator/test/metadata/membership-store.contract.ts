// The membership half of the MetadataStore contract (admission, driving, copy checkpoints, the
// coordinator registry), run against PGlite and PostgreSQL. Admission counts active nodes and
// reads every tenant's replication factor, so each test starts from empty tables (reset()).
import {
  CoordinatorIdInUseError,
  CoordinatorLeaseLostError,
  InvalidMetadataError,
  MigrationExistsError,
  MigrationNotFoundError,
  MigrationRunningError,
  NodeCountBelowReplicationFactorError,
  NodeExistsError,
  NodeNotFoundError,
  NodeStateError,
  StaleDriverError,
  StaleRingVersionError,
  TOKEN_MAX,
  TenantNotFoundError,
  TooFewNodesForReplicationFactorError,
  VersionConflictError,
  type Admitted,
  type CopyCheckpoint,
  type MetadataStore,
  type MigrationPhase,
  type MigrationStep,
} from '../../src/metadata';

export interface MembershipContractTarget {
  store: MetadataStore;
  /** A second store on the same database (its own connections where the driver has them). */
  peer: MetadataStore;
  /** Empties every table but ring_state (MEMBERSHIP_RESET_SQL). */
  reset(): Promise<void>;
}

export const MEMBERSHIP_RESET_SQL =
  'TRUNCATE migration_copy_checkpoints, migrations, storage_nodes, tenants, coordinators';

/** A lease no test outlives. */
const LONG_LEASE_MS = 600_000;
/** A lease that lapses at once; tests poll for the lapse instead of sleeping a fixed time. */
const LAPSING_LEASE_MS = 1;
const LAPSE_WAIT_MS = 10_000;
const NOTIFY_WAIT_MS = 5_000;
const HLC_MAX = (1n << 63n) - 1n;

async function eventually<T>(
  attempt: () => Promise<T | null>,
  what: string,
  timeoutMs = LAPSE_WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await attempt();
    if (result !== null) return result;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function membershipContract(target: () => MembershipContractTarget): void {
  beforeEach(() => target().reset());

  const activeNodes = async (count: number, prefix = 'n'): Promise<string[]> => {
    const ids = Array.from({ length: count }, (_, index) => `${prefix}${index + 1}`);
    for (const [index, nodeId] of ids.entries()) {
      await target().store.addStorageNode({
        nodeId,
        host: '127.0.0.1',
        port: 7000 + index,
        status: 'active',
      });
    }
    return ids;
  };

  const driving = async (admitted: Admitted, instanceId = 'driver-a'): Promise<number> => {
    const epoch = await target().store.claimMigrationDriver(
      admitted.migration.migrationId,
      instanceId,
      LONG_LEASE_MS,
    );
    if (epoch === null) throw new Error('the claim of a fresh migration was refused');
    return epoch;
  };

  describeAdmission(target, activeNodes);
  describeDriving(target, activeNodes, driving);
  describeCopyCheckpoints(target, driving);
  describeRegistry(target);
}

type ActiveNodes = (count: number, prefix?: string) => Promise<string[]>;
type Driving = (admitted: Admitted, instanceId?: string) => Promise<number>;

function describeAdmission(target: () => MembershipContractTarget, activeNodes: ActiveNodes): void {
  describe('node changes while no tenant exists', () => {
    it('creating a tenant bumps the ring version (a factor is part of it)', async () => {
      const { store } = target();
      const before = await store.getRingVersion();
      await store.createTenant({ tenantId: 'bumps', replicationFactor: 2 });
      expect(await store.getRingVersion()).toBe(before + 1);
    });

    it('adds and removes a node at once, with one ring bump each, while no tenant exists', async () => {
      const { store } = target();
      const before = await store.getRingVersion();
      const added = await store.addNodeIfNoData({ nodeId: 'n-direct', host: 'h', port: 1 });
      expect(added?.node).toMatchObject({ nodeId: 'n-direct', status: 'active' });
      expect(added?.ringVersion).toBe(before + 1);
      const removed = await store.removeNodeIfNoData('n-direct');
      expect(removed?.node.status).toBe('inactive');
      expect(removed?.ringVersion).toBe(before + 2);
      expect(await store.getUnfinishedMigration()).toBeNull();
    });

    it('changes nothing once a tenant exists, so the caller admits a migration instead', async () => {
      const { store } = target();
      await activeNodes(1);
      await store.createTenant({ tenantId: 'holds-data', replicationFactor: 1 });
      const before = await store.getRingVersion();
      expect(await store.addNodeIfNoData({ nodeId: 'n-late', host: 'h', port: 1 })).toBeNull();
      expect(await store.removeNodeIfNoData('n1')).toBeNull();
      expect(await store.getRingVersion()).toBe(before);
      await expect(store.getStorageNode('n-late')).rejects.toBeInstanceOf(NodeNotFoundError);
      expect((await store.getStorageNode('n1')).status).toBe('active');
    });

    it('refuses while a migration is unfinished, naming it', async () => {
      const { store } = target();
      await activeNodes(2);
      await store.admitNodeAddition('m-open', { nodeId: 'n-joining', host: 'h', port: 1 });
      const refused = store.addNodeIfNoData({ nodeId: 'n-other', host: 'h', port: 2 });
      await expect(refused).rejects.toBeInstanceOf(MigrationRunningError);
      await expect(refused).rejects.toThrow('m-open');
      await expect(store.removeNodeIfNoData('n1')).rejects.toBeInstanceOf(MigrationRunningError);
      await expect(store.getStorageNode('n-other')).rejects.toBeInstanceOf(NodeNotFoundError);
    });

    it('refuses a duplicate or unknown node id', async () => {
      const { store } = target();
      await activeNodes(1);
      await expect(
        store.addNodeIfNoData({ nodeId: 'n1', host: 'h', port: 1 }),
      ).rejects.toBeInstanceOf(NodeExistsError);
      await expect(store.removeNodeIfNoData('n-missing')).rejects.toBeInstanceOf(NodeNotFoundError);
    });
  });

  describe('admission', () => {
    it('admits a node addition: node joining, migration in progress, one ring bump', async () => {
      const { store } = target();
      const before = await store.getRingVersion();
      const admitted = await store.admitNodeAddition('m-add', {
        nodeId: 'n-new',
        host: '10.0.0.9',
        port: 50052,
        virtualNodes: 16,
      });
      expect(admitted.ringVersion).toBe(before + 1);
      expect(admitted.migration).toMatchObject({
        migrationId: 'm-add',
        type: 'node_addition',
        nodeId: 'n-new',
        tenantId: null,
        fromReplicationFactor: null,
        toReplicationFactor: null,
        force: false,
        status: 'in_progress',
        phase: 'dual_write',
        driverInstanceId: null,
        driverEpoch: 0,
        keysMigrated: 0,
        bytesMigrated: 0,
        rangesDone: 0,
        rangesTotal: 0,
        lostRanges: null,
        ringVersion: before + 1,
        completedAtUnixMs: null,
        errorMessage: null,
      });
      expect(await store.getStorageNode('n-new')).toMatchObject({
        status: 'joining',
        virtualNodes: 16,
      });
      const ring = await store.getRing();
      expect(ring.ringVersion).toBe(before + 1);
      expect(ring.migration).toEqual(admitted.migration);
      expect(await store.getUnfinishedMigration()).toEqual(admitted.migration);
    });

    it('refuses any admission while a migration is unfinished, naming it', async () => {
      const { store } = target();
      await activeNodes(3);
      await store.createTenant({ tenantId: 't', replicationFactor: 1 });
      await store.admitNodeAddition('m-first', { nodeId: 'n-joining', host: 'h', port: 1 });
      const before = await store.getRingVersion();
      const attempts = [
        store.admitNodeAddition('m-2', { nodeId: 'n-other', host: 'h', port: 2 }),
        store.admitNodeDeletion('m-3', 'n1', false),
        store.admitReplicationFactorChange('m-4', 't', 2, 0),
      ];
      for (const attempt of attempts) {
        await expect(attempt).rejects.toBeInstanceOf(MigrationRunningError);
        await expect(attempt).rejects.toMatchObject({ running: { migrationId: 'm-first' } });
        await expect(attempt).rejects.toThrow(/"m-first".*node_addition.*"n-joining"/);
      }
      expect(await store.getRingVersion()).toBe(before);
      await expect(store.getStorageNode('n-other')).rejects.toBeInstanceOf(NodeNotFoundError);
      expect((await store.getStorageNode('n1')).status).toBe('active');
      expect((await store.getTenant('t')).version).toBe(1);
    });

    it('admits exactly one of two concurrent admissions from two stores', async () => {
      const { store, peer } = target();
      await activeNodes(3);
      const outcomes = await Promise.allSettled([
        store.admitNodeAddition('m-left', { nodeId: 'n-left', host: 'h', port: 1 }),
        peer.admitNodeDeletion('m-right', 'n1', false),
      ]);
      const admitted = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      expect(admitted).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0]).toBeInstanceOf(MigrationRunningError);
      expect((refused[0] as MigrationRunningError).running.migrationId).toBe(
        admitted[0]!.migration.migrationId,
      );
      expect((await store.listMigrations(10)).map((m) => m.migrationId)).toEqual([
        admitted[0]!.migration.migrationId,
      ]);
      // The loser's node change rolled back with it.
      const loserTouched =
        admitted[0]!.migration.migrationId === 'm-left'
          ? (await store.getStorageNode('n1')).status === 'draining'
          : await store.getStorageNode('n-left').then(
              () => true,
              () => false,
            );
      expect(loserTouched).toBe(false);
    });

    it('never reuses a node id, whatever the old node status', async () => {
      const { store } = target();
      await store.addStorageNode({ nodeId: 'n-old', host: 'h', port: 1, status: 'inactive' });
      const before = await store.getRingVersion();
      const again = store.admitNodeAddition('m-again', { nodeId: 'n-old', host: 'h', port: 2 });
      await expect(again).rejects.toBeInstanceOf(NodeExistsError);
      await expect(again).rejects.toMatchObject({ nodeId: 'n-old' });
      expect(await store.getUnfinishedMigration()).toBeNull();
      expect(await store.getRingVersion()).toBe(before);
    });

    it('refuses a reused migration id and rolls the node back', async () => {
      const { store } = target();
      const first = await store.admitNodeAddition('m-once', { nodeId: 'n-a', host: 'h', port: 1 });
      const epoch = await store.claimMigrationDriver('m-once', 'driver', LONG_LEASE_MS);
      await store.advanceMigration('m-once', epoch!, 'dual_write', { status: 'failed' });
      const reused = store.admitNodeAddition('m-once', { nodeId: 'n-b', host: 'h', port: 2 });
      await expect(reused).rejects.toBeInstanceOf(MigrationExistsError);
      await expect(reused).rejects.toMatchObject({ migrationId: 'm-once' });
      await expect(store.getStorageNode('n-b')).rejects.toBeInstanceOf(NodeNotFoundError);
      expect((await store.getMigration('m-once')).ringVersion).toBeGreaterThan(
        first.migration.ringVersion,
      );
    });

    it('refuses an added node with a status other than joining, naming the field', async () => {
      const adding = target().store.admitNodeAddition('m', {
        nodeId: 'n',
        host: 'h',
        port: 1,
        status: 'active',
      });
      await expect(adding).rejects.toBeInstanceOf(InvalidMetadataError);
      await expect(adding).rejects.toMatchObject({ field: 'status', value: 'active' });
    });

    it('admits a deletion of an active node: draining, force recorded', async () => {
      const { store } = target();
      await activeNodes(3);
      await store.createTenant({ tenantId: 't', replicationFactor: 2 });
      const admitted = await store.admitNodeDeletion('m-del', 'n2', true);
      expect(admitted.migration).toMatchObject({
        type: 'node_deletion',
        nodeId: 'n2',
        force: true,
        status: 'in_progress',
        phase: 'dual_write',
      });
      expect((await store.getStorageNode('n2')).status).toBe('draining');
    });

    it('refuses deleting an unknown node or one that is not active', async () => {
      const { store } = target();
      await store.addStorageNode({ nodeId: 'n-off', host: 'h', port: 1, status: 'inactive' });
      await expect(store.admitNodeDeletion('m', 'ghost', false)).rejects.toBeInstanceOf(
        NodeNotFoundError,
      );
      const inactive = store.admitNodeDeletion('m', 'n-off', false);
      await expect(inactive).rejects.toBeInstanceOf(NodeStateError);
      await expect(inactive).rejects.toMatchObject({ nodeId: 'n-off', status: 'inactive' });
      await expect(inactive).rejects.toThrow(/"n-off" is inactive, not active/);
      expect(await store.getUnfinishedMigration()).toBeNull();
    });

    it('refuses a deletion that would leave fewer active nodes than a replication factor', async () => {
      const { store } = target();
      await activeNodes(3);
      await store.addStorageNode({ nodeId: 'n-joining', host: 'h', port: 9 });
      await store.createTenant({ tenantId: 'small', replicationFactor: 1 });
      await store.createTenant({ tenantId: 'wide', replicationFactor: 3 });
      const refused = store.admitNodeDeletion('m', 'n1', false);
      await expect(refused).rejects.toBeInstanceOf(NodeCountBelowReplicationFactorError);
      await expect(refused).rejects.toMatchObject({
        nodeId: 'n1',
        remaining: 2,
        replicationFactor: 3,
        tenantId: 'wide',
      });
      expect((await store.getStorageNode('n1')).status).toBe('active');
      expect(await store.getUnfinishedMigration()).toBeNull();
    });

    it('admits a replication-factor change: version bumped now, factor kept until completion', async () => {
      const { store } = target();
      await activeNodes(3);
      await store.createTenant({ tenantId: 't', replicationFactor: 2 });
      const admitted = await store.admitReplicationFactorChange('m-rf', 't', 3, 1);
      expect(admitted.migration).toMatchObject({
        type: 'replication_factor_change',
        nodeId: '',
        tenantId: 't',
        fromReplicationFactor: 2,
        toReplicationFactor: 3,
        status: 'in_progress',
      });
      expect(await store.getTenant('t')).toMatchObject({ replicationFactor: 2, version: 2 });
      // An update that read the tenant before the admission is now stale.
      await expect(store.updateReplicationFactor('t', 1, 1)).rejects.toBeInstanceOf(
        VersionConflictError,
      );
    });

    it('refuses a replication-factor change for a bad tenant, version or factor', async () => {
      const { store } = target();
      await activeNodes(2);
      await store.createTenant({ tenantId: 't', replicationFactor: 2 });
      await expect(store.admitReplicationFactorChange('m', 'ghost', 2, 0)).rejects.toBeInstanceOf(
        TenantNotFoundError,
      );
      await expect(store.admitReplicationFactorChange('m', 't', 1, 7)).rejects.toMatchObject({
        name: 'VersionConflictError',
        expectedVersion: 7,
        actualVersion: 1,
      });
      const unchanged = store.admitReplicationFactorChange('m', 't', 2, 0);
      await expect(unchanged).rejects.toBeInstanceOf(InvalidMetadataError);
      await expect(unchanged).rejects.toMatchObject({ field: 'replication_factor', value: 2 });
      await expect(store.admitReplicationFactorChange('m', 't', 6, 0)).rejects.toMatchObject({
        field: 'replication_factor',
        value: 6,
      });
      const tooWide = store.admitReplicationFactorChange('m', 't', 3, 0);
      await expect(tooWide).rejects.toBeInstanceOf(TooFewNodesForReplicationFactorError);
      await expect(tooWide).rejects.toThrow(/needs 3 active storage nodes, the cluster has 2/);
      expect(await store.getTenant('t')).toMatchObject({ replicationFactor: 2, version: 1 });
      expect(await store.getUnfinishedMigration()).toBeNull();
    });
  });
}

function describeDriving(
  target: () => MembershipContractTarget,
  activeNodes: ActiveNodes,
  driving: Driving,
): void {
  describe('driving', () => {
    it('claims the driver lease: others wait while it is live, the holder re-claims', async () => {
      const { store, peer } = target();
      const admitted = await store.admitNodeAddition('m', { nodeId: 'n', host: 'h', port: 1 });
      expect(await store.claimMigrationDriver('m', 'driver-a', LONG_LEASE_MS)).toBe(1);
      expect(await peer.claimMigrationDriver('m', 'driver-b', LONG_LEASE_MS)).toBeNull();
      expect(await store.claimMigrationDriver('m', 'driver-a', LONG_LEASE_MS)).toBe(2);
      expect(await store.getMigration('m')).toMatchObject({
        driverInstanceId: 'driver-a',
        driverEpoch: 2,
        ringVersion: admitted.ringVersion,
      });
      await expect(store.claimMigrationDriver('none', 'driver-a', 1000)).rejects.toBeInstanceOf(
        MigrationNotFoundError,
      );
    });

    it('lets another instance take over once the driver lease lapses', async () => {
      const { store, peer } = target();
      await store.admitNodeAddition('m', { nodeId: 'n', host: 'h', port: 1 });
      expect(await store.claimMigrationDriver('m', 'driver-a', LAPSING_LEASE_MS)).toBe(1);
      const taken = await eventually(
        () => peer.claimMigrationDriver('m', 'driver-b', LONG_LEASE_MS),
        'takeover after the lapse',
      );
      expect(taken).toBe(2);
      expect((await store.getMigration('m')).driverInstanceId).toBe('driver-b');
      expect(await store.claimMigrationDriver('m', 'driver-a', LONG_LEASE_MS)).toBeNull();
    });

    it('refuses a stale epoch in every conditional call and changes nothing', async () => {
      const { store, peer } = target();
      const admitted = await store.admitNodeAddition('m', { nodeId: 'n', host: 'h', port: 1 });
      const old = await store.claimMigrationDriver('m', 'driver-a', LAPSING_LEASE_MS);
      const current = await eventually(
        () => peer.claimMigrationDriver('m', 'driver-b', LONG_LEASE_MS),
        'takeover',
      );
      expect(current).toBe(old! + 1);
      const ringBefore = await store.getRingVersion();
      const checkpoint: CopyCheckpoint = {
        migrationId: 'm',
        tenantId: 't',
        rangeStart: 1n,
        rangeEnd: 2n,
        sourceNodeId: 'a',
        destinationNodeId: 'n',
        lastKey: null,
        keysCopied: 1,
        bytesCopied: 1,
        completed: false,
      };
      const progress = {
        keysMigrated: 5,
        bytesMigrated: 50,
        rangesDone: 1,
        rangesTotal: 2,
        totalKeys: 10,
      };
      const stale = [
        store.renewMigrationDriver('m', old!, LONG_LEASE_MS),
        store.advanceMigration('m', old!, 'dual_write', { phase: 'data_copy' }),
        store.advanceMigration('m', old!, 'dual_write', { status: 'completed' }),
        store.recordMigrationProgress('m', old!, progress),
        store.upsertCopyCheckpoint(old!, checkpoint),
      ];
      for (const call of stale) {
        await expect(call).rejects.toBeInstanceOf(StaleDriverError);
        await expect(call).rejects.toThrow(new RegExp(`epoch ${old}.*epoch ${current}`));
      }
      expect(await store.getRingVersion()).toBe(ringBefore);
      expect(await store.getMigration('m')).toMatchObject({
        phase: 'dual_write',
        status: 'in_progress',
        keysMigrated: 0,
        ringVersion: admitted.ringVersion,
      });
      expect((await store.getStorageNode('n')).status).toBe('joining');
      expect(await store.listCopyCheckpoints('m')).toEqual([]);
    });

    it('advances phase by phase, a ring bump each, announced to listeners', async () => {
      const { store, peer } = target();
      const seen: number[] = [];
      const unsubscribe = await peer.onRingChange((version) => seen.push(version));
      try {
        const admitted = await store.admitNodeAddition('m', { nodeId: 'n', host: 'h', port: 1 });
        const epoch = await driving(admitted);
        const copying = await store.advanceMigration('m', epoch, 'dual_write', {
          phase: 'data_copy',
        });
        expect(copying.ringVersion).toBe(admitted.ringVersion + 1);
        expect(copying.migration).toMatchObject({
          phase: 'data_copy',
          status: 'in_progress',
          ringVersion: copying.ringVersion,
        });
        const wrongPhase = store.advanceMigration('m', epoch, 'dual_write', { phase: 'cutover' });
        await expect(wrongPhase).rejects.toBeInstanceOf(StaleDriverError);
        await expect(wrongPhase).rejects.toThrow(/phase dual_write.*phase data_copy/);
        await store.recordMigrationProgress('m', epoch, {
          keysMigrated: 40,
          bytesMigrated: 4000,
          rangesDone: 3,
          rangesTotal: 8,
          totalKeys: 100,
        });
        await store.advanceMigration('m', epoch, 'data_copy', { phase: 'cutover' });
        await store.advanceMigration('m', epoch, 'cutover', { phase: 'cleanup' });
        const done = await store.advanceMigration('m', epoch, 'cleanup', { status: 'completed' });
        expect(done.ringVersion).toBe(admitted.ringVersion + 4);
        expect(done.migration).toMatchObject({
          status: 'completed',
          phase: 'cleanup',
          keysMigrated: 40,
          bytesMigrated: 4000,
          rangesDone: 3,
          rangesTotal: 8,
          totalKeys: 100,
        });
        expect(done.migration.completedAtUnixMs).not.toBeNull();
        expect((await store.getStorageNode('n')).status).toBe('active');
        expect(await store.getUnfinishedMigration()).toBeNull();
        expect((await store.getRing()).migration).toBeNull();
        await waitForValues(seen, 5);
        expect(seen).toEqual([0, 1, 2, 3, 4].map((step) => admitted.ringVersion + step));
      } finally {
        await unsubscribe();
      }
    });

    it('refuses every driver call once the migration is finished', async () => {
      const { store } = target();
      const admitted = await store.admitNodeAddition('m', { nodeId: 'n', host: 'h', port: 1 });
      const epoch = await driving(admitted);
      await store.advanceMigration('m', epoch, 'dual_write', { phase: 'rolling_back' });
      await store.advanceMigration('m', epoch, 'rolling_back', { status: 'rolled_back' });
      await expect(store.claimMigrationDriver('m', 'driver-a', 1000)).rejects.toThrow(
        /in_progress.*rolled_back/,
      );
      await expect(store.renewMigrationDriver('m', epoch, 1000)).rejects.toBeInstanceOf(
        StaleDriverError,
      );
      await expect(
        store.advanceMigration('m', epoch, 'dual_write', { status: 'completed' }),
      ).rejects.toBeInstanceOf(StaleDriverError);
      expect((await store.getStorageNode('n')).status).toBe('inactive');
    });

    it.each([
      ['completed', 'inactive'],
      ['failed', 'active'],
      ['rolled_back', 'active'],
    ] as const)('a node deletion %s leaves the node %s', async (outcome, nodeStatus) => {
      const { store } = target();
      await activeNodes(3);
      const admitted = await store.admitNodeDeletion('m', 'n3', false);
      const epoch = await driving(admitted);
      let phase: MigrationPhase = 'dual_write';
      if (outcome === 'rolled_back') {
        await store.advanceMigration('m', epoch, phase, { phase: 'rolling_back' });
        phase = 'rolling_back';
      }
      const ended = await store.advanceMigration('m', epoch, phase, {
        status: outcome,
        errorMessage: outcome === 'failed' ? 'range 5..9 differs after 3 rounds' : undefined,
      });
      expect(ended.migration.status).toBe(outcome);
      expect((await store.getStorageNode('n3')).status).toBe(nodeStatus);
      if (outcome === 'failed') {
        expect(ended.migration.errorMessage).toBe('range 5..9 differs after 3 rounds');
      }
    });

    it('a node addition that fails leaves the node inactive', async () => {
      const { store } = target();
      const admitted = await store.admitNodeAddition('m', { nodeId: 'n', host: 'h', port: 1 });
      const epoch = await driving(admitted);
      await store.advanceMigration('m', epoch, 'dual_write', { phase: 'data_copy' });
      await store.advanceMigration('m', epoch, 'data_copy', { status: 'failed' });
      expect((await store.getStorageNode('n')).status).toBe('inactive');
    });

    it('a completed replication-factor change sets the factor and bumps the version', async () => {
      const { store } = target();
      await activeNodes(3);
      await store.createTenant({ tenantId: 't', replicationFactor: 1 });
      const admitted = await store.admitReplicationFactorChange('m', 't', 3, 0);
      const epoch = await driving(admitted);
      await store.advanceMigration('m', epoch, 'dual_write', { status: 'completed' });
      expect(await store.getTenant('t')).toMatchObject({ replicationFactor: 3, version: 3 });
    });

    it('a failed replication-factor change leaves the tenant as admission left it', async () => {
      const { store } = target();
      await activeNodes(3);
      await store.createTenant({ tenantId: 't', replicationFactor: 1 });
      const admitted = await store.admitReplicationFactorChange('m', 't', 3, 0);
      const epoch = await driving(admitted);
      await store.advanceMigration('m', epoch, 'dual_write', { status: 'failed' });
      expect(await store.getTenant('t')).toMatchObject({ replicationFactor: 1, version: 2 });
    });

    it('records the lost ranges of a forced deletion', async () => {
      const { store } = target();
      await activeNodes(2);
      const admitted = await store.admitNodeDeletion('m', 'n2', true);
      const epoch = await driving(admitted);
      const copying = await store.advanceMigration('m', epoch, 'dual_write', {
        phase: 'data_copy',
        lostRanges: 'tenant t: (10, 20]',
      });
      expect(copying.migration.lostRanges).toBe('tenant t: (10, 20]');
    });

    it('refuses to roll back after cutover: it only rolls forward', async () => {
      const { store } = target();
      const admitted = await store.admitNodeAddition('m', { nodeId: 'n', host: 'h', port: 1 });
      const epoch = await driving(admitted);
      await store.advanceMigration('m', epoch, 'dual_write', { phase: 'data_copy' });
      await store.advanceMigration('m', epoch, 'data_copy', { phase: 'cutover' });
      const back = store.advanceMigration('m', epoch, 'cutover', { status: 'rolled_back' });
      await expect(back).rejects.toBeInstanceOf(InvalidMetadataError);
      await expect(back).rejects.toThrow(/only rolls forward/);
      expect((await store.getMigration('m')).status).toBe('in_progress');
    });

    it('rolls back in two steps: rolling_back still in progress, then rolled_back', async () => {
      const { store, peer } = target();
      const admitted = await store.admitNodeAddition('m', { nodeId: 'n', host: 'h', port: 1 });
      const epoch = await driving(admitted);
      await store.advanceMigration('m', epoch, 'dual_write', { phase: 'data_copy' });
      const reason = 'range (1, 2] of tenant t: copy to n refused 5 times; last: disk full';
      const rolling = await store.advanceMigration('m', epoch, 'data_copy', {
        phase: 'rolling_back',
        errorMessage: reason,
      });
      expect(rolling.ringVersion).toBe(admitted.ringVersion + 2);
      expect(rolling.migration).toMatchObject({
        phase: 'rolling_back',
        status: 'in_progress',
        errorMessage: reason,
        completedAtUnixMs: null,
        ringVersion: rolling.ringVersion,
      });
      // Still the one unfinished migration: part of the ring, blocking admissions, and driven
      // by whoever holds its lease (a takeover finishes the drops).
      expect((await store.getRing()).migration).toMatchObject({ phase: 'rolling_back' });
      await expect(
        store.admitNodeAddition('m-next', { nodeId: 'n2', host: 'h', port: 2 }),
      ).rejects.toBeInstanceOf(MigrationRunningError);
      expect((await store.getStorageNode('n')).status).toBe('joining');
      const next = await peer.claimMigrationDriver('m', 'driver-b', LAPSING_LEASE_MS);
      expect(next).toBeNull();
      await store.renewMigrationDriver('m', epoch, LAPSING_LEASE_MS);
      const takeover = await eventually(
        () => peer.claimMigrationDriver('m', 'driver-b', LONG_LEASE_MS),
        'takeover in rolling_back',
      );
      expect(takeover).toBeGreaterThan(epoch);
      await expect(
        store.advanceMigration('m', epoch, 'rolling_back', { status: 'rolled_back' }),
      ).rejects.toBeInstanceOf(StaleDriverError);
      const ended = await peer.advanceMigration('m', takeover, 'rolling_back', {
        status: 'rolled_back',
      });
      expect(ended.migration).toMatchObject({
        phase: 'rolling_back',
        status: 'rolled_back',
        errorMessage: reason,
      });
      expect(ended.migration.completedAtUnixMs).not.toBeNull();
      expect((await store.getStorageNode('n')).status).toBe('inactive');
      expect(await store.getUnfinishedMigration()).toBeNull();
    });

    it.each<[string, MigrationPhase[], MigrationPhase, MigrationStep, RegExp]>([
      [
        'rolled_back straight from data_copy',
        ['data_copy'],
        'data_copy',
        { status: 'rolled_back' },
        /only from rolling_back/,
      ],
      [
        'rolling_back after cutover',
        ['data_copy', 'cutover'],
        'cutover',
        { phase: 'rolling_back' },
        /only rolls forward/,
      ],
      [
        'rolling_back with a final status',
        [],
        'dual_write',
        { phase: 'rolling_back', status: 'failed' },
        /drops come first/,
      ],
      [
        'completed from rolling_back',
        ['rolling_back'],
        'rolling_back',
        { status: 'completed' },
        /only next step is status rolled_back/,
      ],
      [
        'cutover from rolling_back',
        ['rolling_back'],
        'rolling_back',
        { phase: 'cutover' },
        /only next step is status rolled_back/,
      ],
    ])('refuses %s', async (_, path, from, step, message) => {
      const { store } = target();
      const admitted = await store.admitNodeAddition('m', { nodeId: 'n', host: 'h', port: 1 });
      const epoch = await driving(admitted);
      let phase: MigrationPhase = 'dual_write';
      for (const next of path) {
        await store.advanceMigration('m', epoch, phase, { phase: next });
        phase = next;
      }
      const refused = store.advanceMigration('m', epoch, from, step);
      await expect(refused).rejects.toBeInstanceOf(InvalidMetadataError);
      await expect(refused).rejects.toThrow(message);
      expect(await store.getMigration('m')).toMatchObject({ phase, status: 'in_progress' });
      expect((await store.getStorageNode('n')).status).toBe('joining');
    });

    it('lists migrations newest first, as many as asked', async () => {
      const { store } = target();
      for (const [index, nodeId] of ['a', 'b', 'c'].entries()) {
        const admitted = await store.admitNodeAddition(`m-${index}`, {
          nodeId,
          host: 'h',
          port: 1,
        });
        const epoch = await driving(admitted);
        await store.advanceMigration(`m-${index}`, epoch, 'dual_write', { status: 'failed' });
      }
      expect((await store.listMigrations(2)).map((m) => m.migrationId)).toEqual(['m-2', 'm-1']);
      await expect(store.listMigrations(0)).rejects.toMatchObject({ field: 'limit', value: 0 });
    });
  });
}

function describeCopyCheckpoints(target: () => MembershipContractTarget, driving: Driving): void {
  describe('copy checkpoints', () => {
    const base = (migrationId: string): CopyCheckpoint => ({
      migrationId,
      tenantId: 't',
      rangeStart: 0n,
      rangeEnd: 5n,
      sourceNodeId: 'n-src',
      destinationNodeId: 'n-dst',
      lastKey: null,
      keysCopied: 0,
      bytesCopied: 0,
      completed: false,
    });

    it('keeps uint64 tokens and key bytes exact and replaces a checkpoint by its key', async () => {
      const { store } = target();
      const admitted = await store.admitNodeAddition('m', { nodeId: 'n', host: 'h', port: 1 });
      const epoch = await driving(admitted);
      // 2^64 - 1 and 2^53 + 1 would both be rounded by a double.
      const wrapping = { ...base('m'), rangeStart: TOKEN_MAX, rangeEnd: (1n << 53n) + 1n };
      const otherSource = { ...base('m'), sourceNodeId: 'n-alt' };
      const key = Buffer.from([0x00, 0xff, 0xfe, 0x61, 0x00]);
      await store.upsertCopyCheckpoint(epoch, wrapping);
      await store.upsertCopyCheckpoint(epoch, base('m'));
      await store.upsertCopyCheckpoint(epoch, otherSource);
      const advanced = {
        ...base('m'),
        lastKey: key,
        keysCopied: 2,
        bytesCopied: 300,
        completed: true,
      };
      await store.upsertCopyCheckpoint(epoch, advanced);
      const listed = await store.listCopyCheckpoints('m');
      expect(listed).toEqual([otherSource, advanced, wrapping]);
      expect(Buffer.isBuffer(listed[1]!.lastKey)).toBe(true);
    });

    it('refuses a checkpoint of an unknown migration or with a token outside uint64', async () => {
      const { store } = target();
      await expect(store.upsertCopyCheckpoint(1, base('none'))).rejects.toBeInstanceOf(
        MigrationNotFoundError,
      );
      const admitted = await store.admitNodeAddition('m', { nodeId: 'n', host: 'h', port: 1 });
      const epoch = await driving(admitted);
      await expect(
        store.upsertCopyCheckpoint(epoch, { ...base('m'), rangeEnd: TOKEN_MAX + 1n }),
      ).rejects.toMatchObject({ name: 'InvalidMetadataError', field: 'range_end' });
      expect(await store.listCopyCheckpoints('m')).toEqual([]);
    });
  });
}

function describeRegistry(target: () => MembershipContractTarget): void {
  describe('coordinator registry', () => {
    const claim = (instanceId: string, leaseMs = LONG_LEASE_MS, coordinatorId = 'coord-1') =>
      target().store.claimCoordinatorId({
        coordinatorId,
        instanceId,
        address: '127.0.0.1:50051',
        leaseMs,
      });

    it('claims a new id with high-water 0 and lists it as live', async () => {
      const { store } = target();
      expect(await claim('i-1')).toEqual({ hlcHighWater: 0n });
      const [live, ...others] = await store.listLiveCoordinators();
      expect(others).toEqual([]);
      expect(live).toMatchObject({
        coordinatorId: 'coord-1',
        instanceId: 'i-1',
        address: '127.0.0.1:50051',
        takenRingVersion: 0,
      });
      expect(live!.leaseRemainingMs).toBeGreaterThan(0);
      expect(live!.leaseRemainingMs).toBeLessThanOrEqual(LONG_LEASE_MS);
    });

    it('refuses the id to another instance while the lease is live, naming the holder', async () => {
      const { peer } = target();
      await claim('i-1');
      const duplicate = peer.claimCoordinatorId({
        coordinatorId: 'coord-1',
        instanceId: 'i-2',
        address: null,
        leaseMs: 1000,
      });
      await expect(duplicate).rejects.toBeInstanceOf(CoordinatorIdInUseError);
      await expect(duplicate).rejects.toMatchObject({
        coordinatorId: 'coord-1',
        holderInstanceId: 'i-1',
      });
      await expect(duplicate).rejects.toThrow(/"coord-1".*"i-1"/);
      // The holder itself may claim again (a retried start-up step).
      await expect(claim('i-1')).resolves.toEqual({ hlcHighWater: 0n });
    });

    it('hands the id to another instance once the lease lapses, with the high-water mark', async () => {
      const { store } = target();
      await claim('i-1', LAPSING_LEASE_MS);
      await store.renewCoordinatorLease({
        coordinatorId: 'coord-1',
        instanceId: 'i-1',
        leaseMs: LAPSING_LEASE_MS,
        takenRingVersion: await store.getRingVersion(),
        hlcHighWater: HLC_MAX,
      });
      const taken = await eventually(
        () =>
          claim('i-2').catch((error: unknown) => {
            if (error instanceof CoordinatorIdInUseError) return null;
            throw error;
          }),
        'claim after the lapse',
      );
      expect(taken.hlcHighWater).toBe(HLC_MAX);
      expect((await store.listLiveCoordinators()).map((c) => c.instanceId)).toEqual(['i-2']);
    });

    it('keeps the greatest high-water mark and the newest taken ring version', async () => {
      const { store } = target();
      await claim('i-1');
      const ringVersion = await store.getRingVersion();
      const renew = (takenRingVersion: number, hlcHighWater: bigint) =>
        store.renewCoordinatorLease({
          coordinatorId: 'coord-1',
          instanceId: 'i-1',
          leaseMs: LONG_LEASE_MS,
          takenRingVersion,
          hlcHighWater,
        });
      await renew(ringVersion, (1n << 60n) + 1n);
      await renew(ringVersion - 1, 5n);
      expect((await store.listLiveCoordinators())[0]!.takenRingVersion).toBe(ringVersion);
      await store.releaseCoordinatorId('coord-1', 'i-1');
      expect(await claim('i-2')).toEqual({ hlcHighWater: (1n << 60n) + 1n });
    });

    it('refuses a renewal by an instance that does not hold the id', async () => {
      const { store } = target();
      await claim('i-1');
      const renewal = {
        coordinatorId: 'coord-1',
        instanceId: 'i-2',
        leaseMs: LONG_LEASE_MS,
        takenRingVersion: await store.getRingVersion(),
        hlcHighWater: 0n,
      };
      const other = store.renewCoordinatorLease(renewal);
      await expect(other).rejects.toBeInstanceOf(CoordinatorLeaseLostError);
      await expect(other).rejects.toMatchObject({ holderInstanceId: 'i-1' });
      const missing = store.renewCoordinatorLease({ ...renewal, coordinatorId: 'coord-none' });
      await expect(missing).rejects.toMatchObject({
        name: 'CoordinatorLeaseLostError',
        holderInstanceId: null,
      });
    });

    it('does not renew a coordinator that has not taken the previous ring version', async () => {
      const { store } = target();
      const leaseMs = 60_000;
      await claim('i-1', leaseMs);
      await store.bumpRingVersion();
      const current = await store.bumpRingVersion();
      const stale = store.renewCoordinatorLease({
        coordinatorId: 'coord-1',
        instanceId: 'i-1',
        leaseMs: LONG_LEASE_MS,
        takenRingVersion: current - 2,
        hlcHighWater: 0n,
      });
      await expect(stale).rejects.toBeInstanceOf(StaleRingVersionError);
      await expect(stale).rejects.toMatchObject({
        takenRingVersion: current - 2,
        currentRingVersion: current,
      });
      const [live] = await store.listLiveCoordinators();
      expect(live!.leaseRemainingMs).toBeLessThanOrEqual(leaseMs);
    });

    it('releases only its own lease, and a released id is free at once', async () => {
      const { store } = target();
      await claim('i-1');
      await store.releaseCoordinatorId('coord-1', 'i-other');
      expect(await store.listLiveCoordinators()).toHaveLength(1);
      await store.releaseCoordinatorId('coord-1', 'i-1');
      expect(await store.listLiveCoordinators()).toEqual([]);
      await expect(claim('i-2')).resolves.toEqual({ hlcHighWater: 0n });
    });

    it('refuses an empty id, an instance id over 64 characters and a bad lease', async () => {
      await expect(claim('i', LONG_LEASE_MS, '')).rejects.toMatchObject({
        field: 'coordinator_id',
      });
      await expect(claim('i'.repeat(65))).rejects.toMatchObject({ field: 'instance_id' });
      await expect(claim('i', 0)).rejects.toMatchObject({ field: 'lease_ms', value: 0 });
    });
  });
}

function waitForValues<T>(values: T[], count: number): Promise<void> {
  return eventually(
    async () => (values.length >= count ? true : null),
    `${count} notifications`,
    NOTIFY_WAIT_MS,
  ).then(() => undefined);
}
