import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AdminService, RemovalRefusedError } from '../../src/admin-service';
import { InvalidArgumentError } from '../../src/errors';
import {
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

  const dir = mkdtempSync(path.join(tmpdir(), 'pairdb-admin-'));

  beforeAll(async () => {
    store = (await openEmbeddedMetadataStore(dir)).store;
    admin = new AdminService(store, new TenantCache(store), async () => {
      ringChanges++;
    });
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
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

  it('updates the RF with the expected version and refuses a stale one', async () => {
    const tenant = await admin.createTenant('rf', 2, 'siblings');
    const updated = await admin.updateReplicationFactor('rf', 3, tenant.version);
    expect(updated).toMatchObject({ replicationFactor: 3, version: tenant.version + 1 });
    await expect(admin.updateReplicationFactor('rf', 4, tenant.version)).rejects.toBeInstanceOf(
      VersionConflictError,
    );
  });

  it('registers nodes, tells the ring, and refuses a removal that leaves fewer nodes than an RF', async () => {
    const before = ringChanges;
    for (const id of ['n1', 'n2', 'n3']) await admin.addStorageNode(id, '127.0.0.1', 7000, 0);
    expect(ringChanges).toBe(before + 3);
    expect(
      (await admin.listStorageNodes()).map((n) => [n.nodeId, n.status, n.virtualNodes]),
    ).toEqual([
      ['n1', 'active', 150],
      ['n2', 'active', 150],
      ['n3', 'active', 150],
    ]);
    const refused = admin.removeStorageNode('n3');
    await expect(refused).rejects.toBeInstanceOf(RemovalRefusedError);
    await expect(admin.removeStorageNode('n3')).rejects.toThrow(
      /leave 2 storage nodes, fewer than .* 3/,
    );
    await admin.addStorageNode('n4', '127.0.0.1', 7001, 16);
    await admin.removeStorageNode('n4');
    expect((await admin.listStorageNodes()).find((n) => n.nodeId === 'n4')?.status).toBe(
      'inactive',
    );
  });

  it('gives a node added without a vnode count the configured default', async () => {
    const configured = new AdminService(store, new TenantCache(store), () => Promise.resolve(), 32);
    expect((await configured.addStorageNode('n-default', '127.0.0.1', 7002, 0)).virtualNodes).toBe(
      32,
    );
    expect((await configured.addStorageNode('n-given', '127.0.0.1', 7003, 7)).virtualNodes).toBe(7);
  });

  it('names a bad node id, port and vnode count', async () => {
    await expect(admin.addStorageNode('', 'h', 1, 0)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(admin.addStorageNode('n9', 'h', 70000, 0)).rejects.toThrow(
      /port must be from 1 to 65535 \(got 70000\)/,
    );
    await expect(admin.addStorageNode('n9', 'h', 7000, 5000)).rejects.toThrow(/virtual_nodes/);
  });
});
