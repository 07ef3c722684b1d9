import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  AdminService,
  NodeRegistrationConflictError,
  UnreachableNodeRemovalError,
} from '../../src/admin-service';
import { InvalidArgumentError } from '../../src/errors';
import type { NodeHealthReport } from '../../src/node-health-probes';
import { ReplicaFailure } from '../../src/replicas/replica-failure';
import {
  MigrationRunningError,
  NodeCountBelowReplicationFactorError,
  openEmbeddedMetadataStore,
  VersionConflictError,
  type MetadataStore,
} from '../../src/metadata';
import { TenantCache } from '../../src/tenants/tenant-cache';

// Starting the embedded PostgreSQL takes a few seconds on a loaded machine.
jest.setTimeout(60_000);

describe('admin service over the embedded metadata store', () => {
  let store: MetadataStore;
  let admin: AdminService;
  let ringChanges = 0;
  /** Node ids the fake health check says are down. */
  const down = new Set<string>();
  /** Each fake HealthCheck asked: node id and deadline. */
  const probed: Array<[string, number]> = [];
  const checks = {
    reachable: async (node: { nodeId: string }) => !down.has(node.nodeId),
    health: async (node: { nodeId: string }, timeoutMs: number): Promise<NodeHealthReport> => {
      probed.push([node.nodeId, timeoutMs]);
      if (down.has(node.nodeId)) {
        throw new ReplicaFailure(node.nodeId, 'unreachable', 'connect ECONNREFUSED 127.0.0.1:7000');
      }
      return { serving: true, approximateKeyCount: 42, hintsPending: 3, freeDiskBytes: 1_000 };
    },
  };

  const dir = mkdtempSync(path.join(tmpdir(), 'pairdb-admin-'));

  beforeAll(async () => {
    store = (await openEmbeddedMetadataStore(dir)).store;
    admin = new AdminService(
      store,
      new TenantCache(store),
      async () => {
        ringChanges++;
      },
      checks,
    );
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('with no tenant (no data anywhere), adds and removes nodes at once, with no migration', async () => {
    const before = ringChanges;
    for (const id of ['n1', 'n2', 'n3']) {
      expect((await admin.addStorageNode(id, '127.0.0.1', 7000, 0)).migrationId).toBe('');
    }
    expect(ringChanges).toBe(before + 3);
    expect(
      (await admin.listStorageNodes()).map((n) => [n.nodeId, n.status, n.virtualNodes]),
    ).toEqual([
      ['n1', 'active', 150],
      ['n2', 'active', 150],
      ['n3', 'active', 150],
    ]);
    await admin.addStorageNode('n4', '127.0.0.1', 7001, 16);
    expect((await admin.removeStorageNode('n4', false)).migrationId).toBe('');
    expect((await admin.listStorageNodes()).find((n) => n.nodeId === 'n4')?.status).toBe(
      'inactive',
    );
  });

  it('lists health only when asked: a down node as not answered with why, inactive ones unprobed', async () => {
    probed.length = 0;
    expect((await admin.listStorageNodes()).every((n) => n.health === undefined)).toBe(true);
    expect(probed).toEqual([]);
    down.add('n2');
    try {
      const listed = await admin.listStorageNodes(true);
      expect(listed.map((n) => [n.nodeId, n.health])).toEqual([
        [
          'n1',
          {
            answered: true,
            serving: true,
            approximateKeyCount: 42,
            hintsPending: 3,
            freeDiskBytes: 1_000,
          },
        ],
        ['n2', { answered: false, error: 'connect ECONNREFUSED 127.0.0.1:7000' }],
        [
          'n3',
          {
            answered: true,
            serving: true,
            approximateKeyCount: 42,
            hintsPending: 3,
            freeDiskBytes: 1_000,
          },
        ],
        ['n4', undefined],
      ]);
      // Each probe has the short status deadline, not the storage write timeout.
      expect(probed.sort()).toEqual([
        ['n1', 2_000],
        ['n2', 2_000],
        ['n3', 2_000],
      ]);
    } finally {
      down.delete('n2');
    }
  });

  it('creates a tenant with RF 3 and lww when neither is given', async () => {
    const tenant = await admin.createTenant('defaults', 0, '');
    expect(tenant).toMatchObject({ replicationFactor: 3, conflictResolution: 'lww', version: 1 });
  });

  it('names the field and value of a bad tenant id, RF or policy', async () => {
    await expect(admin.createTenant('bad id', 3, '')).rejects.toThrow(/tenant_id .*"bad id"/);
    await expect(admin.createTenant('ok', 6, '')).rejects.toThrow(
      /replication_factor must be from 1 to 5 \(got 6\)/,
    );
    await expect(admin.createTenant('ok', 3, 'newest')).rejects.toThrow(
      /conflict_resolution .*"newest"/,
    );
  });

  it('refuses a removal that would leave fewer nodes than a tenant replication factor', async () => {
    await expect(admin.removeStorageNode('n3', false)).rejects.toBeInstanceOf(
      NodeCountBelowReplicationFactorError,
    );
  });

  it('refuses to remove a down node holding the only copy of an RF 1 tenant unless forced', async () => {
    await admin.createTenant('single', 1, '');
    down.add('n2');
    await expect(admin.removeStorageNode('n2', false)).rejects.toBeInstanceOf(
      UnreachableNodeRemovalError,
    );
    down.delete('n2');
  });

  it('a factor change is a migration: the version moves now, the factor at completion', async () => {
    const tenant = await admin.createTenant('rf', 2, 'siblings');
    await expect(admin.updateReplicationFactor('rf', 3, tenant.version + 5)).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    const admitted = await admin.updateReplicationFactor('rf', 3, tenant.version);
    expect(admitted.migrationId).toMatch(/^mig-/);
    expect(admitted.value).toMatchObject({ replicationFactor: 2, version: tenant.version + 1 });
    const migration = await admin.getMigration(admitted.migrationId);
    expect(migration).toMatchObject({
      type: 'replication_factor_change',
      status: 'in_progress',
      phase: 'dual_write',
      tenantId: 'rf',
      fromReplicationFactor: 2,
      toReplicationFactor: 3,
    });
    expect((await admin.listMigrations(0)).map((m) => m.migrationId)).toContain(
      admitted.migrationId,
    );
    // One migration at a time: a node addition waits for this one.
    const refused = admin.addStorageNode('n6', '127.0.0.1', 7006, 0);
    await expect(refused).rejects.toBeInstanceOf(MigrationRunningError);
    await expect(refused).rejects.toThrow(admitted.migrationId);
  });

  it('gives a node added without a vnode count the configured default', async () => {
    const fresh = mkdtempSync(path.join(tmpdir(), 'pairdb-admin-'));
    const empty = (await openEmbeddedMetadataStore(fresh)).store;
    try {
      const configured = new AdminService(
        empty,
        new TenantCache(empty),
        () => Promise.resolve(),
        checks,
        32,
      );
      const defaulted = await configured.addStorageNode('n-default', '127.0.0.1', 7002, 0);
      expect(defaulted.value.virtualNodes).toBe(32);
      const given = await configured.addStorageNode('n-given', '127.0.0.1', 7003, 7);
      expect(given.value.virtualNodes).toBe(7);
    } finally {
      await empty.close();
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('answers a registration of a known node at its address as it is, even while a migration runs', async () => {
    // Tenants exist and the factor change above is unfinished: a plain add is refused here.
    const migrationsBefore = (await admin.listMigrations(0)).length;
    const before = ringChanges;
    const again = await admin.addStorageNode('n1', '127.0.0.1', 7000, 0, true);
    expect(again).toMatchObject({ migrationId: '', alreadyRegistered: true });
    expect(again.value).toMatchObject({ nodeId: 'n1', status: 'active' });
    expect(ringChanges).toBe(before);
    expect((await admin.listMigrations(0)).length).toBe(migrationsBefore);
  });

  it('refuses a registration of a known id at another address, naming both addresses', async () => {
    const moved = admin.addStorageNode('n1', '10.0.0.9', 7100, 0, true);
    await expect(moved).rejects.toBeInstanceOf(NodeRegistrationConflictError);
    await expect(moved).rejects.toThrow(
      /n1 is registered at 127\.0\.0\.1:7000, not 10\.0\.0\.9:7100/,
    );
  });

  it('refuses a registration of a removed id: ids are never used again', async () => {
    // n4 was removed by the first test.
    const back = admin.addStorageNode('n4', '127.0.0.1', 7001, 0, true);
    await expect(back).rejects.toThrow(/n4 \(127\.0\.0\.1:7001\) was removed/);
  });

  it('names a bad node id, port and vnode count', async () => {
    await expect(admin.addStorageNode('', 'h', 1, 0)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(admin.addStorageNode('n9', 'h', 70000, 0)).rejects.toThrow(
      /port must be from 1 to 65535 \(got 70000\)/,
    );
    await expect(admin.addStorageNode('n9', 'h', 7000, 5000)).rejects.toThrow(/virtual_nodes/);
  });
});
