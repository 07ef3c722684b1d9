// The rows of the metadata tables (migrations/*.sql) as domain objects: the column lists the
// queries select and one decoder per table.
import type {
  ConflictResolution,
  CopyCheckpoint,
  LiveCoordinator,
  Migration,
  MigrationPhase,
  MigrationStatus,
  MigrationType,
  NodeStatus,
  StorageNode,
  Tenant,
} from './metadata-store';
import type { SqlRow } from './sql-executor';
import {
  decodeBoolean,
  decodeInteger,
  decodeOptionalBytes,
  decodeOptionalInteger,
  decodeOptionalText,
  decodeOptionalUnixMs,
  decodeText,
  decodeToken,
  decodeUnixMs,
} from './sql-values';

export const TENANT_COLUMNS =
  'tenant_id, replication_factor, conflict_resolution, version, created_at, updated_at';
export const NODE_COLUMNS = 'node_id, host, port, status, virtual_nodes, created_at, updated_at';
export const MIGRATION_COLUMNS =
  'migration_id, type, node_id, tenant_id, from_replication_factor, to_replication_factor, ' +
  'force, status, phase, driver_instance_id, driver_epoch, keys_migrated, total_keys, ' +
  'bytes_migrated, ranges_done, ranges_total, lost_ranges, ring_version, started_at, ' +
  'updated_at, completed_at, error_message';
export const COPY_CHECKPOINT_COLUMNS =
  'migration_id, tenant_id, range_start, range_end, source_node_id, destination_node_id, ' +
  'last_key, keys_copied, bytes_copied, completed';
/** Milliseconds until the lease lapses by the database's clock, rounded up (> 0 while live). */
export const LEASE_REMAINING_MS =
  'ceil(extract(epoch FROM (lease_expires_at - now())) * 1000)::bigint AS lease_remaining_ms';

export function tenantFrom(row: SqlRow): Tenant {
  return {
    tenantId: decodeText(row.tenant_id, 'tenant_id'),
    replicationFactor: decodeInteger(row.replication_factor, 'replication_factor'),
    conflictResolution: decodeText(
      row.conflict_resolution,
      'conflict_resolution',
    ) as ConflictResolution,
    version: decodeInteger(row.version, 'version'),
    createdAtUnixMs: decodeUnixMs(row.created_at, 'created_at'),
    updatedAtUnixMs: decodeUnixMs(row.updated_at, 'updated_at'),
  };
}

export function nodeFrom(row: SqlRow): StorageNode {
  return {
    nodeId: decodeText(row.node_id, 'node_id'),
    host: decodeText(row.host, 'host'),
    port: decodeInteger(row.port, 'port'),
    status: decodeText(row.status, 'status') as NodeStatus,
    virtualNodes: decodeInteger(row.virtual_nodes, 'virtual_nodes'),
    createdAtUnixMs: decodeUnixMs(row.created_at, 'created_at'),
    updatedAtUnixMs: decodeUnixMs(row.updated_at, 'updated_at'),
  };
}

export function migrationFrom(row: SqlRow): Migration {
  return {
    migrationId: decodeText(row.migration_id, 'migration_id'),
    type: decodeText(row.type, 'type') as MigrationType,
    // NULL for a replication_factor_change (the schema's migrations_subject CHECK).
    nodeId: decodeOptionalText(row.node_id, 'node_id') ?? '',
    tenantId: decodeOptionalText(row.tenant_id, 'tenant_id'),
    fromReplicationFactor: decodeOptionalInteger(
      row.from_replication_factor,
      'from_replication_factor',
    ),
    toReplicationFactor: decodeOptionalInteger(row.to_replication_factor, 'to_replication_factor'),
    force: decodeBoolean(row.force, 'force'),
    status: decodeText(row.status, 'status') as MigrationStatus,
    phase: decodeText(row.phase, 'phase') as MigrationPhase,
    driverInstanceId: decodeOptionalText(row.driver_instance_id, 'driver_instance_id'),
    driverEpoch: decodeInteger(row.driver_epoch, 'driver_epoch'),
    keysMigrated: decodeInteger(row.keys_migrated, 'keys_migrated'),
    totalKeys: decodeInteger(row.total_keys, 'total_keys'),
    bytesMigrated: decodeInteger(row.bytes_migrated, 'bytes_migrated'),
    rangesDone: decodeInteger(row.ranges_done, 'ranges_done'),
    rangesTotal: decodeInteger(row.ranges_total, 'ranges_total'),
    lostRanges: decodeOptionalText(row.lost_ranges, 'lost_ranges'),
    ringVersion: decodeInteger(row.ring_version, 'ring_version'),
    startedAtUnixMs: decodeUnixMs(row.started_at, 'started_at'),
    updatedAtUnixMs: decodeUnixMs(row.updated_at, 'updated_at'),
    completedAtUnixMs: decodeOptionalUnixMs(row.completed_at, 'completed_at'),
    errorMessage: decodeOptionalText(row.error_message, 'error_message'),
  };
}

export function copyCheckpointFrom(row: SqlRow): CopyCheckpoint {
  return {
    migrationId: decodeText(row.migration_id, 'migration_id'),
    tenantId: decodeText(row.tenant_id, 'tenant_id'),
    rangeStart: decodeToken(row.range_start, 'range_start'),
    rangeEnd: decodeToken(row.range_end, 'range_end'),
    sourceNodeId: decodeText(row.source_node_id, 'source_node_id'),
    destinationNodeId: decodeText(row.destination_node_id, 'destination_node_id'),
    lastKey: decodeOptionalBytes(row.last_key, 'last_key'),
    keysCopied: decodeInteger(row.keys_copied, 'keys_copied'),
    bytesCopied: decodeInteger(row.bytes_copied, 'bytes_copied'),
    completed: decodeBoolean(row.completed, 'completed'),
  };
}

export function liveCoordinatorFrom(row: SqlRow): LiveCoordinator {
  return {
    coordinatorId: decodeText(row.coordinator_id, 'coordinator_id'),
    instanceId: decodeText(row.instance_id, 'instance_id'),
    address: decodeOptionalText(row.address, 'address'),
    takenRingVersion: decodeInteger(row.taken_ring_version, 'taken_ring_version'),
    leaseRemainingMs: decodeInteger(row.lease_remaining_ms, 'lease_remaining_ms'),
  };
}
