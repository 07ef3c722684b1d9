// Tenant and cluster administration (docs/architecture.md#metadata). Moving data when nodes join
// or leave belongs to the membership work: here a node is registered active at once (right for
// a new cluster, which holds no data yet) and a removal deregisters it; neither starts a
// migration, so both answer an empty migration id.
import { VIRTUAL_NODES_MAX } from '@pairdb/hashring';
import { validateTenantId } from '@pairdb/wire-contract';
import { InvalidArgumentError } from './errors';
import {
  VIRTUAL_NODES_DEFAULT,
  type Migration,
  type MetadataStore,
  type StorageNode,
  type Tenant,
} from './metadata';
import type { TenantCache } from './tenants/tenant-cache';
import {
  parseConflictResolution,
  replicationFactorOrDefault,
  validateReplicationFactor,
} from './tenants/tenant-rules';

/** Node ids name hosts and pods: the same alphabet as tenant ids. */
const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class RemovalRefusedError extends Error {
  constructor(nodeId: string, remaining: number, replicationFactor: number) {
    super(
      `removing ${nodeId} would leave ${remaining} storage nodes, fewer than the largest ` +
        `tenant replication factor ${replicationFactor}`,
    );
    this.name = 'RemovalRefusedError';
  }
}

export class AdminService {
  constructor(
    private readonly store: MetadataStore,
    private readonly tenants: TenantCache,
    private readonly onRingChanged: () => Promise<void>,
    /** Virtual nodes of a node added without a count (config hash_ring.virtual_nodes). */
    private readonly virtualNodesDefault = VIRTUAL_NODES_DEFAULT,
  ) {}

  async createTenant(
    tenantId: string,
    replicationFactor: number,
    conflictResolution: string,
  ): Promise<Tenant> {
    validateTenantId(tenantId);
    const tenant = await this.store.createTenant({
      tenantId,
      replicationFactor: replicationFactorOrDefault(replicationFactor),
      conflictResolution: parseConflictResolution(conflictResolution),
    });
    this.tenants.put(tenant);
    return tenant;
  }

  async getTenant(tenantId: string): Promise<Tenant> {
    validateTenantId(tenantId);
    return this.store.getTenant(tenantId);
  }

  /** expectedVersion 0 means "whatever it is now" (no optimistic check asked for). */
  async updateReplicationFactor(
    tenantId: string,
    replicationFactor: number,
    expectedVersion: number,
  ): Promise<Tenant> {
    validateTenantId(tenantId);
    validateReplicationFactor(replicationFactor);
    if (expectedVersion < 0) {
      throw new InvalidArgumentError('expected_version', expectedVersion, 'must not be negative');
    }
    const version =
      expectedVersion === 0 ? (await this.store.getTenant(tenantId)).version : expectedVersion;
    try {
      const tenant = await this.store.updateReplicationFactor(tenantId, replicationFactor, version);
      this.tenants.put(tenant);
      return tenant;
    } catch (error) {
      this.tenants.invalidate(tenantId);
      throw error;
    }
  }

  async addStorageNode(
    nodeId: string,
    host: string,
    port: number,
    virtualNodes: number,
  ): Promise<StorageNode> {
    if (!NODE_ID_PATTERN.test(nodeId)) {
      throw new InvalidArgumentError(
        'node_id',
        nodeId,
        'must be 1-128 letters, digits, "_", "-" or "."',
      );
    }
    if (host === '') throw new InvalidArgumentError('host', host, 'is required');
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new InvalidArgumentError('port', port, 'must be from 1 to 65535');
    }
    const vnodes = virtualNodes === 0 ? this.virtualNodesDefault : virtualNodes;
    if (!Number.isInteger(vnodes) || vnodes < 1 || vnodes > VIRTUAL_NODES_MAX) {
      throw new InvalidArgumentError(
        'virtual_nodes',
        virtualNodes,
        `must be from 1 to ${VIRTUAL_NODES_MAX}`,
      );
    }
    const change = await this.store.addStorageNode({
      nodeId,
      host,
      port,
      virtualNodes: vnodes,
      status: 'active',
    });
    await this.onRingChanged();
    return change.node;
  }

  async removeStorageNode(nodeId: string): Promise<void> {
    if (nodeId === '') throw new InvalidArgumentError('node_id', nodeId, 'is required');
    const node = await this.store.getStorageNode(nodeId);
    if (node.status === 'active' || node.status === 'draining') {
      const serving = await this.store.listStorageNodes(['active', 'draining']);
      const largest = await this.store.maxReplicationFactor();
      if (serving.length - 1 < largest)
        throw new RemovalRefusedError(nodeId, serving.length - 1, largest);
    }
    await this.store.setStorageNodeStatus(nodeId, 'inactive');
    await this.onRingChanged();
  }

  listStorageNodes(): Promise<StorageNode[]> {
    return this.store.listStorageNodes();
  }

  async getMigration(migrationId: string): Promise<Migration> {
    if (migrationId === '')
      throw new InvalidArgumentError('migration_id', migrationId, 'is required');
    return this.store.getMigration(migrationId);
  }
}
