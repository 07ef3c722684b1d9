// The MetadataStore contract, run against every implementation (PGlite, PostgreSQL).
// Suites share one database, so every test names its own rows with fresh ids and compares
// ring versions with the value it read first (tests of one file run one at a time).
import { randomBytes } from 'node:crypto';
import {
  InvalidMetadataError,
  NodeExistsError,
  NodeNotFoundError,
  TenantExistsError,
  TenantNotFoundError,
  VersionConflictError,
  type MetadataStore,
} from '../../src/metadata';

export interface MetadataContractTarget {
  /** The store under test, on a migrated database shared by the suite. */
  store: MetadataStore;
  /** A second store on the same database (its own connections where the driver has them). */
  peer: MetadataStore;
}

/** How long a NOTIFY may take to arrive before the test gives up. */
const NOTIFY_WAIT_MS = 5_000;
/** Concurrent optimistic updates raced against each other. */
const RACING_UPDATES = 6;
/** How far the database server's clock may be from ours (another host or container). */
const DATABASE_CLOCK_SKEW_MS_MAX = 1_000;

function freshId(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

function waitFor<T>(values: T[], count: number, timeoutMs = NOTIFY_WAIT_MS): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = (): void => {
      if (values.length >= count) resolve(values);
      else if (Date.now() - started > timeoutMs) {
        reject(new Error(`waited ${timeoutMs} ms for ${count} values, got ${values.length}`));
      } else setTimeout(poll, 10);
    };
    poll();
  });
}

export function metadataStoreContract(target: () => MetadataContractTarget): void {
  describeTenants(target);
  describeNodes(target);
  describeRingNotifications(target);
}

function describeTenants(target: () => MetadataContractTarget): void {
  describe('tenants', () => {
    it('creates a tenant at version 1 with lww by default and reads it back', async () => {
      const { store } = target();
      const tenantId = freshId('tenant');
      const before = Date.now();
      const created = await store.createTenant({ tenantId, replicationFactor: 3 });
      const after = Date.now();
      expect(created).toMatchObject({
        tenantId,
        replicationFactor: 3,
        conflictResolution: 'lww',
        version: 1,
      });
      // Stamped during the call, by the database's clock (which may differ slightly from ours).
      expect(created.createdAtUnixMs).toBeGreaterThanOrEqual(before - DATABASE_CLOCK_SKEW_MS_MAX);
      expect(created.createdAtUnixMs).toBeLessThanOrEqual(after + DATABASE_CLOCK_SKEW_MS_MAX);
      expect(await store.getTenant(tenantId)).toEqual(created);
    });

    it('keeps the siblings conflict policy', async () => {
      const { store } = target();
      const tenantId = freshId('tenant');
      await store.createTenant({ tenantId, replicationFactor: 1, conflictResolution: 'siblings' });
      expect((await store.getTenant(tenantId)).conflictResolution).toBe('siblings');
    });

    it('refuses a duplicate tenant id with TenantExistsError naming it', async () => {
      const { store } = target();
      const tenantId = freshId('tenant');
      await store.createTenant({ tenantId, replicationFactor: 3 });
      const duplicate = store.createTenant({ tenantId, replicationFactor: 2 });
      await expect(duplicate).rejects.toBeInstanceOf(TenantExistsError);
      await expect(duplicate).rejects.toMatchObject({ tenantId });
      expect((await store.getTenant(tenantId)).replicationFactor).toBe(3);
    });

    it('answers TenantNotFoundError for an unknown tenant', async () => {
      const { store } = target();
      const tenantId = freshId('missing');
      await expect(store.getTenant(tenantId)).rejects.toMatchObject({
        name: 'TenantNotFoundError',
        tenantId,
      });
      await expect(store.updateReplicationFactor(tenantId, 2, 1)).rejects.toBeInstanceOf(
        TenantNotFoundError,
      );
    });

    it.each([0, 6, 2.5])('refuses replication factor %p as invalid', async (factor) => {
      const { store } = target();
      const creating = store.createTenant({ tenantId: freshId('t'), replicationFactor: factor });
      await expect(creating).rejects.toBeInstanceOf(InvalidMetadataError);
      await expect(creating).rejects.toMatchObject({ field: 'replication_factor', value: factor });
    });

    it('refuses an unknown conflict policy and an empty tenant id', async () => {
      const { store } = target();
      const badPolicy = store.createTenant({
        tenantId: freshId('t'),
        replicationFactor: 3,
        conflictResolution: 'newest' as 'lww',
      });
      await expect(badPolicy).rejects.toMatchObject({ field: 'conflict_resolution' });
      const emptyId = store.createTenant({ tenantId: '', replicationFactor: 3 });
      await expect(emptyId).rejects.toMatchObject({ field: 'tenant_id' });
    });

    it('updates the replication factor and bumps the version by one', async () => {
      const { store } = target();
      const tenantId = freshId('tenant');
      const created = await store.createTenant({ tenantId, replicationFactor: 3 });
      const updated = await store.updateReplicationFactor(tenantId, 5, 1);
      expect(updated).toMatchObject({ replicationFactor: 5, version: 2 });
      expect(updated.updatedAtUnixMs).toBeGreaterThanOrEqual(created.updatedAtUnixMs);
      expect(await store.getTenant(tenantId)).toEqual(updated);
    });

    it('refuses a stale expected version with VersionConflictError carrying both', async () => {
      const { store } = target();
      const tenantId = freshId('tenant');
      await store.createTenant({ tenantId, replicationFactor: 3 });
      await store.updateReplicationFactor(tenantId, 4, 1);
      const stale = store.updateReplicationFactor(tenantId, 2, 1);
      await expect(stale).rejects.toBeInstanceOf(VersionConflictError);
      await expect(stale).rejects.toMatchObject({ tenantId, expectedVersion: 1, actualVersion: 2 });
      expect((await store.getTenant(tenantId)).replicationFactor).toBe(4);
    });

    it('lets exactly one of several concurrent updates from the same version win', async () => {
      const { store, peer } = target();
      const tenantId = freshId('tenant');
      await store.createTenant({ tenantId, replicationFactor: 3 });
      const attempts = Array.from({ length: RACING_UPDATES }, (_, index) =>
        (index % 2 === 0 ? store : peer).updateReplicationFactor(tenantId, 1 + (index % 5), 1),
      );
      const outcomes = await Promise.allSettled(attempts);
      const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const losers = outcomes.flatMap((outcome) =>
        outcome.status === 'rejected' ? [outcome.reason] : [],
      );
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(RACING_UPDATES - 1);
      for (const loser of losers) expect(loser).toBeInstanceOf(VersionConflictError);
      const final = await store.getTenant(tenantId);
      expect(final.version).toBe(2);
      const winner = winners[0] as PromiseFulfilledResult<{ replicationFactor: number }>;
      expect(final.replicationFactor).toBe(winner.value.replicationFactor);
    });

    it('lists tenants ordered by id and reports the largest replication factor', async () => {
      const { store } = target();
      const prefix = freshId('list');
      await store.createTenant({ tenantId: `${prefix}-b`, replicationFactor: 5 });
      await store.createTenant({ tenantId: `${prefix}-a`, replicationFactor: 2 });
      const listed = (await store.listTenants()).filter((tenant) =>
        tenant.tenantId.startsWith(prefix),
      );
      expect(listed.map((tenant) => tenant.tenantId)).toEqual([`${prefix}-a`, `${prefix}-b`]);
      expect(await store.maxReplicationFactor()).toBe(5);
    });
  });
}

function describeNodes(target: () => MetadataContractTarget): void {
  describe('storage nodes and the ring version', () => {
    it('adds a node as joining with 150 virtual nodes and bumps the ring version', async () => {
      const { store } = target();
      const nodeId = freshId('node');
      const before = await store.getRingVersion();
      const change = await store.addStorageNode({ nodeId, host: '127.0.0.1', port: 50052 });
      expect(change.node).toMatchObject({
        nodeId,
        host: '127.0.0.1',
        port: 50052,
        status: 'joining',
        virtualNodes: 150,
      });
      expect(change.ringVersion).toBe(before + 1);
      expect(await store.getRingVersion()).toBe(before + 1);
      expect(await store.getStorageNode(nodeId)).toEqual(change.node);
    });

    it('refuses a duplicate node with NodeExistsError and leaves the ring version', async () => {
      const { store } = target();
      const nodeId = freshId('node');
      await store.addStorageNode({ nodeId, host: 'a', port: 1, status: 'active' });
      const before = await store.getRingVersion();
      const duplicate = store.addStorageNode({ nodeId, host: 'b', port: 2 });
      await expect(duplicate).rejects.toBeInstanceOf(NodeExistsError);
      await expect(duplicate).rejects.toMatchObject({ nodeId });
      expect(await store.getRingVersion()).toBe(before);
      expect((await store.getStorageNode(nodeId)).host).toBe('a');
    });

    it('refuses a port outside 1..65535 before touching the database', async () => {
      const { store } = target();
      const adding = store.addStorageNode({ nodeId: freshId('node'), host: 'h', port: 70000 });
      await expect(adding).rejects.toMatchObject({ name: 'InvalidMetadataError', field: 'port' });
    });

    it('changes a node status with one ring bump per change', async () => {
      const { store } = target();
      const nodeId = freshId('node');
      const added = await store.addStorageNode({ nodeId, host: 'h', port: 7, virtualNodes: 8 });
      const active = await store.setStorageNodeStatus(nodeId, 'active');
      expect(active.node).toMatchObject({ status: 'active', virtualNodes: 8 });
      expect(active.ringVersion).toBe(added.ringVersion + 1);
      const draining = await store.setStorageNodeStatus(nodeId, 'draining');
      expect(draining.ringVersion).toBe(added.ringVersion + 2);
      expect((await store.getStorageNode(nodeId)).status).toBe('draining');
    });

    it('answers NodeNotFoundError for a status change of an unknown node, without a bump', async () => {
      const { store } = target();
      const nodeId = freshId('ghost');
      const before = await store.getRingVersion();
      const changing = store.setStorageNodeStatus(nodeId, 'active');
      await expect(changing).rejects.toBeInstanceOf(NodeNotFoundError);
      await expect(changing).rejects.toMatchObject({ nodeId });
      expect(await store.getRingVersion()).toBe(before);
    });

    it('removes a node once: the second removal is NodeNotFoundError', async () => {
      const { store } = target();
      const nodeId = freshId('node');
      const added = await store.addStorageNode({ nodeId, host: 'h', port: 9 });
      expect(await store.removeStorageNode(nodeId)).toBe(added.ringVersion + 1);
      await expect(store.getStorageNode(nodeId)).rejects.toBeInstanceOf(NodeNotFoundError);
      await expect(store.removeStorageNode(nodeId)).rejects.toBeInstanceOf(NodeNotFoundError);
      expect(await store.getRingVersion()).toBe(added.ringVersion + 1);
    });

    it('lists nodes ordered by id, narrowed by status when asked', async () => {
      const { store } = target();
      const prefix = freshId('list');
      await store.addStorageNode({ nodeId: `${prefix}-c`, host: 'h', port: 3, status: 'active' });
      await store.addStorageNode({ nodeId: `${prefix}-a`, host: 'h', port: 1 });
      await store.addStorageNode({ nodeId: `${prefix}-b`, host: 'h', port: 2, status: 'inactive' });
      const ours = (nodes: { nodeId: string }[]): string[] =>
        nodes.map((node) => node.nodeId).filter((nodeId) => nodeId.startsWith(prefix));
      expect(ours(await store.listStorageNodes())).toEqual([
        `${prefix}-a`,
        `${prefix}-b`,
        `${prefix}-c`,
      ]);
      expect(ours(await store.listStorageNodes(['joining', 'active']))).toEqual([
        `${prefix}-a`,
        `${prefix}-c`,
      ]);
      expect(ours(await store.listStorageNodes([]))).toEqual([]);
    });

    it('reads the ring as nodes plus the version they make up', async () => {
      const { store } = target();
      const nodeId = freshId('node');
      const change = await store.addStorageNode({ nodeId, host: 'h', port: 4 });
      const ring = await store.getRing();
      expect(ring.ringVersion).toBe(change.ringVersion);
      expect(ring.migration).toBeNull();
      expect(ring.nodes.find((node) => node.nodeId === nodeId)).toEqual(change.node);
      expect(ring.nodes.map((node) => node.nodeId)).toEqual(
        (await store.listStorageNodes()).map((node) => node.nodeId),
      );
    });

    it('bumps the ring version on request without a node change', async () => {
      const { store } = target();
      const before = await store.getRingVersion();
      expect(await store.bumpRingVersion()).toBe(before + 1);
      expect(await store.getRingVersion()).toBe(before + 1);
    });

    it('answers ping', async () => {
      await expect(target().store.ping()).resolves.toBeUndefined();
    });
  });
}

function describeRingNotifications(target: () => MetadataContractTarget): void {
  describe('ring change notifications', () => {
    it('delivers each committed bump to a listener of the peer store', async () => {
      const { store, peer } = target();
      const seen: number[] = [];
      const unsubscribe = await peer.onRingChange((version) => seen.push(version));
      try {
        const nodeId = freshId('node');
        const added = await store.addStorageNode({ nodeId, host: 'h', port: 1 });
        const active = await store.setStorageNodeStatus(nodeId, 'active');
        await waitFor(seen, 2);
        expect(seen).toEqual([added.ringVersion, active.ringVersion]);
      } finally {
        await unsubscribe();
      }
    });

    it('sends nothing for a rolled-back change', async () => {
      const { store, peer } = target();
      const seen: number[] = [];
      const unsubscribe = await peer.onRingChange((version) => seen.push(version));
      try {
        await expect(store.setStorageNodeStatus(freshId('ghost'), 'active')).rejects.toThrow();
        // A later real bump arrives alone: the failed change announced nothing.
        const bumped = await store.bumpRingVersion();
        await waitFor(seen, 1);
        expect(seen).toEqual([bumped]);
      } finally {
        await unsubscribe();
      }
    });

    it('stops calling a listener once unsubscribed', async () => {
      const { store, peer } = target();
      const dropped: number[] = [];
      const kept: number[] = [];
      const unsubscribeDropped = await peer.onRingChange((version) => dropped.push(version));
      const unsubscribeKept = await peer.onRingChange((version) => kept.push(version));
      try {
        await unsubscribeDropped();
        const bumped = await store.bumpRingVersion();
        await waitFor(kept, 1);
        expect(kept).toEqual([bumped]);
        expect(dropped).toEqual([]);
      } finally {
        await unsubscribeKept();
      }
    });
  });
}
