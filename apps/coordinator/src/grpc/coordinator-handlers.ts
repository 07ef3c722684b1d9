// gRPC handlers of pairdb.coordinator.v1.CoordinatorService: wire messages in, service calls,
// wire messages out; every failure becomes a status in grpc/status.ts.
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { coordinatorV1 } from '@pairdb/proto';
import type { AdminService } from '../admin-service';
import type { ContextEntry, KeyValueService, WriteResult } from '../key-value-service';
import type { AntiEntropyRepair, Migration, Tenant } from '../metadata';
import type { CoordinatorMetrics } from '../metrics';
import type { NodeHealthProbe, ProbedStorageNode } from '../node-health-probes';
import type { RepairService } from '../repair-service';
import { statusCodeOf, toGrpcError } from './status';

export interface HandlerDeps {
  keyValues: KeyValueService;
  admin: AdminService;
  repairs: RepairService;
  metrics: CoordinatorMetrics;
}

function clockToWire(clock: readonly ContextEntry[]): coordinatorV1.VectorClock {
  return {
    entries: clock.map((e) => ({ coordinatorNodeId: e.actor, logicalTimestamp: e.counter })),
  };
}

function clockFromWire(clock: coordinatorV1.VectorClock | undefined): ContextEntry[] {
  return (clock?.entries ?? []).map((e) => ({
    actor: e.coordinatorNodeId,
    counter: e.logicalTimestamp,
  }));
}

function tenantToWire(tenant: Tenant): coordinatorV1.Tenant {
  return {
    tenantId: tenant.tenantId,
    replicationFactor: tenant.replicationFactor,
    conflictResolution: tenant.conflictResolution,
    version: BigInt(tenant.version),
    createdAtUnixMs: BigInt(tenant.createdAtUnixMs),
    updatedAtUnixMs: BigInt(tenant.updatedAtUnixMs),
  };
}

/** `health` only for a node listed with it. */
function nodeToWire(node: ProbedStorageNode): coordinatorV1.StorageNode {
  return {
    nodeId: node.nodeId,
    host: node.host,
    port: node.port,
    status: node.status,
    virtualNodes: node.virtualNodes,
    health: node.health && healthProbeToWire(node.health),
  };
}

function healthProbeToWire(probe: NodeHealthProbe): coordinatorV1.NodeHealthProbe {
  if (!probe.answered) {
    return {
      answered: false,
      serving: false,
      approximateKeyCount: -1n,
      hintsPending: 0n,
      freeDiskBytes: 0n,
      error: probe.error,
    };
  }
  return {
    answered: true,
    serving: probe.serving,
    approximateKeyCount: BigInt(probe.approximateKeyCount),
    hintsPending: BigInt(probe.hintsPending),
    freeDiskBytes: BigInt(probe.freeDiskBytes),
    error: '',
  };
}

function migrationToWire(m: Migration): coordinatorV1.Migration {
  return {
    migrationId: m.migrationId,
    type: m.type,
    nodeId: m.nodeId,
    status: m.status,
    phase: m.phase,
    keysMigrated: BigInt(m.keysMigrated),
    totalKeys: BigInt(m.totalKeys),
    percentage:
      m.totalKeys > 0
        ? Math.min(100, (m.keysMigrated / m.totalKeys) * 100)
        : m.status === 'completed'
          ? 100
          : 0,
    startedAtUnixMs: BigInt(m.startedAtUnixMs),
    completedAtUnixMs: BigInt(m.completedAtUnixMs ?? 0),
    errorMessage: m.errorMessage ?? '',
    tenantId: m.tenantId ?? '',
    fromReplicationFactor: m.fromReplicationFactor ?? 0,
    toReplicationFactor: m.toReplicationFactor ?? 0,
    rangesDone: BigInt(m.rangesDone),
    rangesTotal: BigInt(m.rangesTotal),
    bytesMigrated: BigInt(m.bytesMigrated),
    lostRanges: m.lostRanges ?? '',
  };
}

function repairToWire(r: AntiEntropyRepair): coordinatorV1.Repair {
  return {
    repairId: r.repairId,
    tenantId: r.tenantId ?? '',
    status: r.status,
    requested: r.requested,
    rangesDone: BigInt(r.rangesDone),
    rangesTotal: BigInt(r.rangesTotal),
    keysRepaired: BigInt(r.keysRepaired),
    bucketsDiffering: BigInt(r.bucketsDiffering),
    requestedAtUnixMs: BigInt(r.requestedAtUnixMs ?? 0),
    startedAtUnixMs: BigInt(r.startedAtUnixMs ?? 0),
    completedAtUnixMs: BigInt(r.completedAtUnixMs ?? 0),
    message: r.message ?? '',
  };
}

function optionalRepairToWire(r: AntiEntropyRepair | null): coordinatorV1.Repair | undefined {
  return r === null ? undefined : repairToWire(r);
}

function writeToWire(result: WriteResult): coordinatorV1.WriteKeyValueResponse {
  return {
    success: true,
    key: result.key,
    idempotencyKey: result.idempotencyKey,
    vectorClock: clockToWire(result.clock),
    replicaCount: result.replicaCount,
    consistency: result.consistency,
    isDuplicate: result.duplicate,
  };
}

/** Wraps one RPC: runs it, records count and latency, maps errors to statuses. */
function rpc<Req, Res>(deps: HandlerDeps, operation: string, run: (request: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const stop = deps.metrics.requestDuration.startTimer({ operation });
    run(call.request).then(
      (response) => {
        stop();
        deps.metrics.requests.inc({ operation, status: 'OK' });
        callback(null, response);
      },
      (error: unknown) => {
        stop();
        deps.metrics.requests.inc({ operation, status: status[statusCodeOf(error)] ?? 'UNKNOWN' });
        callback(toGrpcError(error));
      },
    );
  };
}

export function createCoordinatorHandlers(
  deps: HandlerDeps,
): coordinatorV1.CoordinatorServiceServer {
  const { keyValues, admin, repairs } = deps;
  return {
    writeKeyValue: rpc(deps, 'write', async (r: coordinatorV1.WriteKeyValueRequest) => {
      const result = await keyValues.write({
        tenantId: r.tenantId,
        key: r.key,
        value: r.value,
        consistency: r.consistency,
        idempotencyKey: r.idempotencyKey,
        context: clockFromWire(r.context),
      });
      if (result.duplicate) deps.metrics.idempotentDuplicates.inc();
      return writeToWire(result);
    }),
    readKeyValue: rpc(deps, 'read', async (r: coordinatorV1.ReadKeyValueRequest) => {
      const result = await keyValues.read(r.tenantId, r.key, r.consistency);
      return {
        success: true,
        key: result.key,
        value: Buffer.from(result.value),
        vectorClock: clockToWire(result.clock),
        siblings: result.siblings.map((s) => ({
          value: Buffer.from(s.value),
          dot: { coordinatorNodeId: s.dot.actor, logicalTimestamp: s.dot.counter },
        })),
      };
    }),
    deleteKeyValue: rpc(deps, 'delete', async (r: coordinatorV1.DeleteKeyValueRequest) => {
      const result = await keyValues.write({
        tenantId: r.tenantId,
        key: r.key,
        value: undefined,
        consistency: r.consistency,
        idempotencyKey: r.idempotencyKey,
        context: clockFromWire(r.context),
      });
      return { success: true, key: result.key, replicaCount: result.replicaCount };
    }),
    createTenant: rpc(deps, 'create_tenant', async (r: coordinatorV1.CreateTenantRequest) => ({
      tenant: tenantToWire(
        await admin.createTenant(r.tenantId, r.replicationFactor, r.conflictResolution),
      ),
    })),
    getTenant: rpc(deps, 'get_tenant', async (r: coordinatorV1.GetTenantRequest) => ({
      tenant: tenantToWire(await admin.getTenant(r.tenantId)),
    })),
    updateReplicationFactor: rpc(
      deps,
      'update_replication_factor',
      async (r: coordinatorV1.UpdateReplicationFactorRequest) => {
        const admitted = await admin.updateReplicationFactor(
          r.tenantId,
          r.replicationFactor,
          Number(r.expectedVersion),
        );
        return { tenant: tenantToWire(admitted.value), migrationId: admitted.migrationId };
      },
    ),
    addStorageNode: rpc(
      deps,
      'add_storage_node',
      async (r: coordinatorV1.AddStorageNodeRequest) => {
        const added = await admin.addStorageNode(
          r.nodeId,
          r.host,
          r.port,
          r.virtualNodes,
          r.acceptRegistered,
        );
        return {
          node: nodeToWire(added.value),
          migrationId: added.migrationId,
          alreadyRegistered: added.alreadyRegistered ?? false,
        };
      },
    ),
    removeStorageNode: rpc(
      deps,
      'remove_storage_node',
      async (r: coordinatorV1.RemoveStorageNodeRequest) => {
        const removed = await admin.removeStorageNode(r.nodeId, r.force);
        return { migrationId: removed.migrationId };
      },
    ),
    listStorageNodes: rpc(
      deps,
      'list_storage_nodes',
      async (r: coordinatorV1.ListStorageNodesRequest) => ({
        nodes: (await admin.listStorageNodes(r.includeHealth)).map(nodeToWire),
      }),
    ),
    getMigrationStatus: rpc(
      deps,
      'get_migration_status',
      async (r: coordinatorV1.GetMigrationStatusRequest) => ({
        migration: migrationToWire(await admin.getMigration(r.migrationId)),
      }),
    ),
    listMigrations: rpc(
      deps,
      'list_migrations',
      async (r: coordinatorV1.ListMigrationsRequest) => ({
        migrations: (await admin.listMigrations(r.limit)).map(migrationToWire),
      }),
    ),
    startRepair: rpc(deps, 'start_repair', async (r: coordinatorV1.StartRepairRequest) => ({
      repairId: (await repairs.startRepair(r.tenantId)).repairId,
    })),
    getRepairStatus: rpc(
      deps,
      'get_repair_status',
      async (r: coordinatorV1.GetRepairStatusRequest) => {
        const report = await repairs.getRepairStatus(r.repairId);
        return {
          repair: optionalRepairToWire(report.repair),
          running: optionalRepairToWire(report.running),
          lastCompleted: optionalRepairToWire(report.lastCompleted),
          nodes: report.nodes.map((node) => ({
            nodeId: node.nodeId,
            lastCompletedAtUnixMs: BigInt(node.completedAtUnixMs),
            keysRepaired: BigInt(node.keysRepaired),
          })),
        };
      },
    ),
  };
}
