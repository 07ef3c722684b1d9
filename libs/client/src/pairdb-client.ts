// A small promise API over the generated CoordinatorService client. Every call carries a
// deadline; failures arrive as the named errors of errors.ts; only repeatable operations are
// retried (retry-policy.ts), inside the same deadline.
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { coordinatorV1, GRPC_MESSAGE_BYTES_MAX as MESSAGE_BYTES_MAX } from '@pairdb/proto';
import { ClientUsageError, fromServiceError } from './errors';
import { RetryPolicy, type Repeatability, type RetryOptions } from './retry-policy';
import {
  CONFLICT_RESOLUTIONS,
  CONSISTENCY_LEVELS,
  type AddedStorageNode,
  type AddStorageNodeRequest,
  type CallOptions,
  type CreateTenantOptions,
  type DeleteResult,
  type ListStorageNodesOptions,
  type Migration,
  type NodeChange,
  type ReplicationFactorChange,
  type ReadOptions,
  type ReadResult,
  type RepairStatus,
  type SetReplicationFactorOptions,
  type StorageNode,
  type Tenant,
  type WriteOptions,
  type WriteResult,
} from './types';
import {
  clockToWire,
  migrationFromWire,
  nodeFromWire,
  readResultFromWire,
  repairStatusFromWire,
  tenantFromWire,
  writeResultFromWire,
} from './wire';

/**
 * Default deadline of a call, retries included. Longer than the coordinator's own 5 s write
 * timeout, so its quorum error (which names achieved/required) arrives before ours.
 */
export const TIMEOUT_MS_DEFAULT = 10_000;
/** The coordinator's default address (docs/architecture.md#processes). */
export const ADDRESS_DEFAULT = '127.0.0.1:50051';
/** Largest message either way: a 1 MiB value plus its siblings and clocks fits many times. */

export interface ClientOptions {
  /** host:port of a coordinator; default 127.0.0.1:50051. */
  address?: string;
  /** Deadline of each call, retries included; default 10 000 ms. */
  timeoutMs?: number;
  /** Default: 3 attempts, backoff 50 ms doubling to 1 s, full jitter. */
  retry?: RetryOptions;
}

type Callback<Res> = (error: ServiceError | null, response: Res) => void;
type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: Date },
  callback: Callback<Res>,
) => unknown;

export class PairDBClient {
  readonly address: string;
  private readonly raw: coordinatorV1.CoordinatorServiceClient;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;

  constructor(options: ClientOptions = {}) {
    this.address = options.address ?? ADDRESS_DEFAULT;
    this.timeoutMs = positiveTimeout(options.timeoutMs ?? TIMEOUT_MS_DEFAULT);
    this.retry = new RetryPolicy(options.retry);
    this.raw = new coordinatorV1.CoordinatorServiceClient(
      this.address,
      credentials.createInsecure(),
      {
        'grpc.max_receive_message_length': MESSAGE_BYTES_MAX,
        'grpc.max_send_message_length': MESSAGE_BYTES_MAX,
      },
    );
  }

  /** Writes `value` under `key`; retried only when it carries an idempotency key. */
  async put(
    tenantId: string,
    key: string,
    value: Uint8Array | string,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    const request = coordinatorV1.WriteKeyValueRequest.fromPartial({
      tenantId: required('tenantId', tenantId),
      key: required('key', key),
      value: toBuffer(value),
      consistency: consistencyOf(options.consistency),
      idempotencyKey: options.idempotencyKey ?? '',
      context: clockToWire(options.context),
    });
    const response = await this.call(
      'WriteKeyValue',
      this.raw.writeKeyValue,
      request,
      options.idempotencyKey ? 'keyed-write' : 'unsafe',
      options.timeoutMs,
    );
    return writeResultFromWire(response);
  }

  /** Reads `key`; NotFoundError when it has no live version. Retried. */
  async get(tenantId: string, key: string, options: ReadOptions = {}): Promise<ReadResult> {
    const request = {
      tenantId: required('tenantId', tenantId),
      key: required('key', key),
      consistency: consistencyOf(options.consistency),
    };
    const response = await this.call(
      'ReadKeyValue',
      this.raw.readKeyValue,
      request,
      'safe',
      options.timeoutMs,
    );
    return readResultFromWire(response);
  }

  /** Deletes `key` (writes a tombstone); retried only when it carries an idempotency key. */
  async delete(tenantId: string, key: string, options: WriteOptions = {}): Promise<DeleteResult> {
    const request = coordinatorV1.DeleteKeyValueRequest.fromPartial({
      tenantId: required('tenantId', tenantId),
      key: required('key', key),
      consistency: consistencyOf(options.consistency),
      idempotencyKey: options.idempotencyKey ?? '',
      context: clockToWire(options.context),
    });
    const response = await this.call(
      'DeleteKeyValue',
      this.raw.deleteKeyValue,
      request,
      options.idempotencyKey ? 'keyed-write' : 'unsafe',
      options.timeoutMs,
    );
    return { key: response.key, replicaCount: response.replicaCount };
  }

  async createTenant(tenantId: string, options: CreateTenantOptions = {}): Promise<Tenant> {
    const conflictResolution = options.conflictResolution ?? '';
    if (
      conflictResolution !== '' &&
      !(CONFLICT_RESOLUTIONS as readonly string[]).includes(conflictResolution)
    ) {
      throw new ClientUsageError(
        `conflictResolution must be one of ${CONFLICT_RESOLUTIONS.join(', ')} ` +
          `(got ${JSON.stringify(conflictResolution)})`,
      );
    }
    const request = {
      tenantId: required('tenantId', tenantId),
      replicationFactor: options.replicationFactor ?? 0,
      conflictResolution,
    };
    const response = await this.call(
      'CreateTenant',
      this.raw.createTenant,
      request,
      'unsafe',
      options.timeoutMs,
    );
    return tenantFromWire(response.tenant);
  }

  async getTenant(tenantId: string, options: CallOptions = {}): Promise<Tenant> {
    const request = { tenantId: required('tenantId', tenantId) };
    const response = await this.call(
      'GetTenant',
      this.raw.getTenant,
      request,
      'safe',
      options.timeoutMs,
    );
    return tenantFromWire(response.tenant);
  }

  /** Admits a replication_factor_change migration; the factor changes when it completes. */
  async setReplicationFactor(
    tenantId: string,
    replicationFactor: number,
    options: SetReplicationFactorOptions = {},
  ): Promise<ReplicationFactorChange> {
    const request = {
      tenantId: required('tenantId', tenantId),
      replicationFactor,
      expectedVersion: BigInt(options.expectedVersion ?? 0),
    };
    const response = await this.call(
      'UpdateReplicationFactor',
      this.raw.updateReplicationFactor,
      request,
      'unsafe',
      options.timeoutMs,
    );
    return { tenant: tenantFromWire(response.tenant), migrationId: response.migrationId };
  }

  async addStorageNode(
    node: AddStorageNodeRequest,
    options: CallOptions = {},
  ): Promise<AddedStorageNode> {
    const request = {
      nodeId: required('nodeId', node.nodeId),
      host: required('host', node.host),
      port: node.port,
      virtualNodes: node.virtualNodes ?? 0,
      acceptRegistered: node.acceptRegistered ?? false,
    };
    const response = await this.call(
      'AddStorageNode',
      this.raw.addStorageNode,
      request,
      'unsafe',
      options.timeoutMs,
    );
    return {
      node: nodeFromWire(response.node),
      migrationId: response.migrationId,
      alreadyRegistered: response.alreadyRegistered,
    };
  }

  /** `force`: remove even when a down node holds the only copy of some keys (they are lost). */
  async removeStorageNode(
    nodeId: string,
    options: CallOptions & { force?: boolean } = {},
  ): Promise<NodeChange> {
    const request = { nodeId: required('nodeId', nodeId), force: options.force ?? false };
    const response = await this.call(
      'RemoveStorageNode',
      this.raw.removeStorageNode,
      request,
      'unsafe',
      options.timeoutMs,
    );
    return { migrationId: response.migrationId };
  }

  /** Every registered node; with includeHealth, as the coordinator's probes found them. */
  async listStorageNodes(options: ListStorageNodesOptions = {}): Promise<StorageNode[]> {
    const response = await this.call(
      'ListStorageNodes',
      this.raw.listStorageNodes,
      { includeHealth: options.includeHealth ?? false },
      'safe',
      options.timeoutMs,
    );
    return response.nodes.map(nodeFromWire);
  }

  async getMigrationStatus(migrationId: string, options: CallOptions = {}): Promise<Migration> {
    const request = { migrationId: required('migrationId', migrationId) };
    const response = await this.call(
      'GetMigrationStatus',
      this.raw.getMigrationStatus,
      request,
      'safe',
      options.timeoutMs,
    );
    return migrationFromWire(response.migration);
  }

  /** Migrations, newest first; at most `limit` (default 20 on the server). */
  async listMigrations(limit = 0, options: CallOptions = {}): Promise<Migration[]> {
    const response = await this.call(
      'ListMigrations',
      this.raw.listMigrations,
      { limit },
      'safe',
      options.timeoutMs,
    );
    return response.migrations.map(migrationFromWire);
  }

  /**
   * Asks for a full anti-entropy pass now, of one tenant or (without `tenantId`) of every tenant;
   * answers its id for getRepairStatus. A request for the same tenant still waiting is answered
   * with its id, so repeating the call is harmless.
   */
  async startRepair(options: CallOptions & { tenantId?: string } = {}): Promise<string> {
    const response = await this.call(
      'StartRepair',
      this.raw.startRepair,
      { tenantId: options.tenantId ?? '' },
      'safe',
      options.timeoutMs,
    );
    return response.repairId;
  }

  /** The running pass, the last completed one, each node's last repair; with `repairId`, that
   * repair too. */
  async getRepairStatus(options: CallOptions & { repairId?: string } = {}): Promise<RepairStatus> {
    const response = await this.call(
      'GetRepairStatus',
      this.raw.getRepairStatus,
      { repairId: options.repairId ?? '' },
      'safe',
      options.timeoutMs,
    );
    return repairStatusFromWire(response);
  }

  close(): void {
    this.raw.close();
  }

  /** One RPC with its deadline and, where the operation allows, retries inside it. */
  private async call<Req, Res>(
    operation: string,
    method: UnaryMethod<Req, Res>,
    request: Req,
    repeatability: Repeatability,
    timeoutMs: number | undefined,
  ): Promise<Res> {
    const deadlineMs = Date.now() + positiveTimeout(timeoutMs ?? this.timeoutMs);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(operation, method, request, deadlineMs);
      } catch (error) {
        if (!this.retry.shouldRetry(error, repeatability, attempt)) throw error;
        const waitMs = this.retry.backoffMs(attempt);
        // A retry that could not finish before the deadline only delays the error.
        if (Date.now() + waitMs >= deadlineMs) throw error;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  private attempt<Req, Res>(
    operation: string,
    method: UnaryMethod<Req, Res>,
    request: Req,
    deadlineMs: number,
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      method.call(
        this.raw,
        request,
        new Metadata(),
        { deadline: new Date(deadlineMs) },
        (error, response) => {
          if (error) reject(fromServiceError(error, operation, this.address));
          else resolve(response);
        },
      );
    });
  }
}

/** The bytes of a value without copying them (a view over a Uint8Array's memory). */
function toBuffer(value: Uint8Array | string): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.isBuffer(value)
    ? value
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function required(field: string, value: string): string {
  if (value === '') throw new ClientUsageError(`${field} is required`);
  return value;
}

function consistencyOf(consistency: string | undefined): string {
  if (consistency === undefined) return '';
  if (!(CONSISTENCY_LEVELS as readonly string[]).includes(consistency)) {
    throw new ClientUsageError(
      `consistency must be one of ${CONSISTENCY_LEVELS.join(', ')} ` +
        `(got ${JSON.stringify(consistency)})`,
    );
  }
  return consistency;
}

function positiveTimeout(timeoutMs: number): number {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ClientUsageError(`timeoutMs must be a positive number (got ${timeoutMs})`);
  }
  return timeoutMs;
}
