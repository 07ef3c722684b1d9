// Tenant and cluster administration (docs/architecture.md#membership-and-migrations). Adding or
// removing a storage node and changing a tenant's replication factor each admit a migration
// (one at a time, checked in one transaction by the metadata store) that the migration driver
// carries out; the call answers its id at once. A cluster with no tenant holds no data, so there
// a node joins or leaves at once, with no migration (how `npm start` registers its first nodes).
import { randomUUID } from 'node:crypto';
import { VIRTUAL_NODES_MAX } from '@pairdb/hashring';
import { validateTenantId } from '@pairdb/wire-contract';
import { InvalidArgumentError } from './errors';
import {
  probeStorageNodes,
  type CheckNodeHealth,
  type ProbedStorageNode,
} from './node-health-probes';
import {
  NodeExistsError,
  NodeNotFoundError,
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

/** Migrations a list answers when the request does not say. */
export const MIGRATIONS_LISTED_DEFAULT = 20;
/** The most a list answers: each is one metadata row. */
export const MIGRATIONS_LISTED_MAX = 1_000;

/** Node ids name hosts and pods: the same alphabet as tenant ids. */
const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** A down node's ranges would have no copy left, and the removal did not say to force it. */
export class UnreachableNodeRemovalError extends Error {
  constructor(nodeId: string, tenantId: string) {
    super(
      `storage node ${nodeId} is unreachable and tenant ${tenantId} has replication factor 1: ` +
        `its keys on ${nodeId} have no other copy; remove with force to lose them`,
    );
    this.name = 'UnreachableNodeRemovalError';
  }
}

/**
 * A registration under a known node id that cannot be the same node: another address, or an id
 * removed earlier (ids are never used again).
 */
export class NodeRegistrationConflictError extends Error {
  constructor(
    readonly nodeId: string,
    readonly registered: { host: string; port: number; status: string },
    readonly requested: { host: string; port: number },
  ) {
    const at = `${registered.host}:${registered.port}`;
    const wanted = `${requested.host}:${requested.port}`;
    super(
      registered.status === 'inactive'
        ? `storage node ${nodeId} (${at}) was removed and node ids are never used again: ` +
            `give the node at ${wanted} a new id`
        : `storage node ${nodeId} is registered at ${at}, not ${wanted}: ` +
            'a node keeps its address (remove it first, or give the new one another id)',
    );
    this.name = 'NodeRegistrationConflictError';
  }
}

/** How the admin service asks storage nodes about themselves (grpc/storage-admin-client.ts). */
export interface StorageNodeChecks {
  /** Whether the node answers at all (a removal of a down node is checked further). */
  reachable(node: StorageNode): Promise<boolean>;
  /** Its HealthCheck answer, for listStorageNodes with health. */
  health: CheckNodeHealth;
}

/** What a membership change answers: the node or tenant, and the migration id ('' if none). */
export interface Admission<T> {
  readonly value: T;
  readonly migrationId: string;
  /** A registration found the node already known at its address and changed nothing. */
  readonly alreadyRegistered?: boolean;
}

export class AdminService {
  constructor(
    private readonly store: MetadataStore,
    private readonly tenants: TenantCache,
    private readonly onRingChanged: () => Promise<void>,
    private readonly nodeChecks: StorageNodeChecks,
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
  ): Promise<Admission<Tenant>> {
    validateTenantId(tenantId);
    validateReplicationFactor(replicationFactor);
    if (expectedVersion < 0) {
      throw new InvalidArgumentError('expected_version', expectedVersion, 'must not be negative');
    }
    try {
      const admitted = await this.store.admitReplicationFactorChange(
        newMigrationId(),
        tenantId,
        replicationFactor,
        expectedVersion,
      );
      await this.onRingChanged();
      return {
        value: await this.store.getTenant(tenantId),
        migrationId: admitted.migration.migrationId,
      };
    } finally {
      this.tenants.invalidate(tenantId);
    }
  }

  /**
   * `acceptRegistered`: how storage nodes register themselves at every start
   * (docs/architecture.md#deployment): a node already known at this host and port is answered
   * as it is, with no migration; without it any known id is NodeExistsError.
   */
  async addStorageNode(
    nodeId: string,
    host: string,
    port: number,
    virtualNodes: number,
    acceptRegistered = false,
  ): Promise<Admission<StorageNode>> {
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
    const node = { nodeId, host, port, virtualNodes: vnodes };
    if (!acceptRegistered) return this.admitNode(node);
    const known = await this.registered(node);
    if (known) return known;
    try {
      return await this.admitNode(node);
    } catch (error) {
      // Two registrations of the same node raced; the loser answers as a repeat would.
      const raced = error instanceof NodeExistsError ? await this.registered(node) : undefined;
      if (raced) return raced;
      throw error;
    }
  }

  /** The known node when it is this one at this address; throws when it cannot be. */
  private async registered(node: {
    nodeId: string;
    host: string;
    port: number;
  }): Promise<Admission<StorageNode> | undefined> {
    let known: StorageNode;
    try {
      known = await this.store.getStorageNode(node.nodeId);
    } catch (error) {
      if (error instanceof NodeNotFoundError) return undefined;
      throw error;
    }
    if (known.host !== node.host || known.port !== node.port || known.status === 'inactive') {
      throw new NodeRegistrationConflictError(node.nodeId, known, node);
    }
    return { value: known, migrationId: '', alreadyRegistered: true };
  }

  private async admitNode(node: {
    nodeId: string;
    host: string;
    port: number;
    virtualNodes: number;
  }): Promise<Admission<StorageNode>> {
    const { nodeId } = node;
    const direct = await this.store.addNodeIfNoData(node);
    if (direct) {
      await this.onRingChanged();
      return { value: direct.node, migrationId: '' };
    }
    const admitted = await this.store.admitNodeAddition(newMigrationId(), node);
    await this.onRingChanged();
    return {
      value: await this.store.getStorageNode(nodeId),
      migrationId: admitted.migration.migrationId,
    };
  }

  async removeStorageNode(nodeId: string, force: boolean): Promise<Admission<null>> {
    if (nodeId === '') throw new InvalidArgumentError('node_id', nodeId, 'is required');
    const node = await this.store.getStorageNode(nodeId);
    if (await this.store.removeNodeIfNoData(nodeId)) {
      await this.onRingChanged();
      return { value: null, migrationId: '' };
    }
    if (!force && node.status === 'active' && !(await this.nodeChecks.reachable(node))) {
      const single = (await this.store.listTenants()).find((t) => t.replicationFactor === 1);
      if (single) throw new UnreachableNodeRemovalError(nodeId, single.tenantId);
    }
    const admitted = await this.store.admitNodeDeletion(newMigrationId(), nodeId, force);
    await this.onRingChanged();
    return { value: null, migrationId: admitted.migration.migrationId };
  }

  /**
   * Every registered node; with `includeHealth`, each not inactive with what its HealthCheck
   * found (node-health-probes.ts), asked of all of them at once.
   */
  async listStorageNodes(includeHealth = false): Promise<ProbedStorageNode[]> {
    const nodes = await this.store.listStorageNodes();
    return includeHealth ? probeStorageNodes(nodes, this.nodeChecks.health) : nodes;
  }

  /** Newest first; at most `limit` (0: MIGRATIONS_LISTED_DEFAULT). */
  listMigrations(limit: number): Promise<Migration[]> {
    if (!Number.isInteger(limit) || limit < 0 || limit > MIGRATIONS_LISTED_MAX) {
      throw new InvalidArgumentError('limit', limit, `must be from 0 to ${MIGRATIONS_LISTED_MAX}`);
    }
    return this.store.listMigrations(limit === 0 ? MIGRATIONS_LISTED_DEFAULT : limit);
  }

  async getMigration(migrationId: string): Promise<Migration> {
    if (migrationId === '')
      throw new InvalidArgumentError('migration_id', migrationId, 'is required');
    return this.store.getMigration(migrationId);
  }
}

function newMigrationId(): string {
  return `mig-${randomUUID()}`;
}
