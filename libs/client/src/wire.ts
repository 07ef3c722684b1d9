// Generated protocol messages to and from the client's plain types.
import { coordinatorV1, type storageV1 } from '@pairdb/proto';
import type {
  ClockEntry,
  Migration,
  NodeHealthProbe,
  ReadResult,
  Repair,
  RepairStatus,
  StorageNode,
  StorageNodeHealth,
  Tenant,
  VectorClock,
  WriteResult,
} from './types';

export function clockToWire(clock: VectorClock | undefined): coordinatorV1.VectorClock | undefined {
  if (clock === undefined || clock.length === 0) return undefined;
  return {
    entries: clock.map((entry) => ({
      coordinatorNodeId: entry.actor,
      logicalTimestamp: entry.counter,
    })),
  };
}

function entryFromWire(entry: coordinatorV1.VectorClockEntry): ClockEntry {
  return { actor: entry.coordinatorNodeId, counter: entry.logicalTimestamp };
}

export function clockFromWire(clock: coordinatorV1.VectorClock | undefined): VectorClock {
  return (clock?.entries ?? []).map(entryFromWire);
}

export function writeResultFromWire(response: coordinatorV1.WriteKeyValueResponse): WriteResult {
  return {
    key: response.key,
    idempotencyKey: response.idempotencyKey,
    vectorClock: clockFromWire(response.vectorClock),
    replicaCount: response.replicaCount,
    consistency: response.consistency,
    isDuplicate: response.isDuplicate,
  };
}

export function readResultFromWire(response: coordinatorV1.ReadKeyValueResponse): ReadResult {
  return {
    key: response.key,
    value: response.value,
    vectorClock: clockFromWire(response.vectorClock),
    siblings: response.siblings.map((sibling) => ({
      value: sibling.value,
      dot: sibling.dot ? entryFromWire(sibling.dot) : undefined,
    })),
  };
}

export function tenantFromWire(tenant: coordinatorV1.Tenant | undefined): Tenant {
  const t = tenant ?? coordinatorV1.Tenant.fromPartial({});
  return {
    tenantId: t.tenantId,
    replicationFactor: t.replicationFactor,
    conflictResolution: t.conflictResolution,
    version: Number(t.version),
    createdAtUnixMs: Number(t.createdAtUnixMs),
    updatedAtUnixMs: Number(t.updatedAtUnixMs),
  };
}

export function nodeFromWire(node: coordinatorV1.StorageNode | undefined): StorageNode {
  const n = node ?? coordinatorV1.StorageNode.fromPartial({});
  return {
    nodeId: n.nodeId,
    host: n.host,
    port: n.port,
    status: n.status,
    virtualNodes: n.virtualNodes,
    ...(n.health && { health: healthProbeFromWire(n.health) }),
  };
}

function healthProbeFromWire(probe: coordinatorV1.NodeHealthProbe): NodeHealthProbe {
  if (!probe.answered) return { answered: false, error: probe.error };
  return {
    answered: true,
    serving: probe.serving,
    approximateKeyCount: Number(probe.approximateKeyCount),
    hintsPending: Number(probe.hintsPending),
    freeDiskBytes: Number(probe.freeDiskBytes),
  };
}

export function migrationFromWire(migration: coordinatorV1.Migration | undefined): Migration {
  const m = migration ?? coordinatorV1.Migration.fromPartial({});
  return {
    migrationId: m.migrationId,
    type: m.type,
    nodeId: m.nodeId,
    status: m.status,
    phase: m.phase,
    keysMigrated: Number(m.keysMigrated),
    totalKeys: Number(m.totalKeys),
    percentage: m.percentage,
    startedAtUnixMs: Number(m.startedAtUnixMs),
    completedAtUnixMs: Number(m.completedAtUnixMs),
    errorMessage: m.errorMessage,
    tenantId: m.tenantId,
    fromReplicationFactor: m.fromReplicationFactor,
    toReplicationFactor: m.toReplicationFactor,
    rangesDone: Number(m.rangesDone),
    rangesTotal: Number(m.rangesTotal),
    bytesMigrated: Number(m.bytesMigrated),
    lostRanges: m.lostRanges,
  };
}

function repairFromWire(r: coordinatorV1.Repair): Repair {
  return {
    repairId: r.repairId,
    tenantId: r.tenantId,
    status: r.status,
    requested: r.requested,
    rangesDone: Number(r.rangesDone),
    rangesTotal: Number(r.rangesTotal),
    keysRepaired: Number(r.keysRepaired),
    bucketsDiffering: Number(r.bucketsDiffering),
    requestedAtUnixMs: Number(r.requestedAtUnixMs),
    startedAtUnixMs: Number(r.startedAtUnixMs),
    completedAtUnixMs: Number(r.completedAtUnixMs),
    message: r.message,
  };
}

export function repairStatusFromWire(
  response: coordinatorV1.GetRepairStatusResponse,
): RepairStatus {
  return {
    ...(response.repair && { repair: repairFromWire(response.repair) }),
    ...(response.running && { running: repairFromWire(response.running) }),
    ...(response.lastCompleted && { lastCompleted: repairFromWire(response.lastCompleted) }),
    nodes: response.nodes.map((node) => ({
      nodeId: node.nodeId,
      lastCompletedAtUnixMs: Number(node.lastCompletedAtUnixMs),
      keysRepaired: Number(node.keysRepaired),
    })),
  };
}

export function healthFromWire(response: storageV1.HealthCheckResponse): StorageNodeHealth {
  return {
    nodeId: response.nodeId,
    serving: response.serving,
    hintsPending: Number(response.hintsPending),
    freeDiskBytes: Number(response.freeDiskBytes),
    approximateKeyCount: Number(response.approximateKeyCount),
  };
}
