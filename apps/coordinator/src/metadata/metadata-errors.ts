// Named errors of the metadata store. Each carries the offending values so that the one
// gRPC mapping of the coordinator can say what was wrong (docs/architecture.md#errors):
//   TenantExistsError, NodeExistsError, MigrationExistsError   -> ALREADY_EXISTS
//   TenantNotFoundError, NodeNotFoundError, MigrationNotFoundError,
//   RepairNotFoundError                                        -> NOT_FOUND
//   VersionConflictError                                       -> ABORTED
//   InvalidMetadataError                                       -> INVALID_ARGUMENT
//   MetadataUnavailableError                                   -> UNAVAILABLE
//   MigrationRunningError, NodeStateError,
//   NodeCountBelowReplicationFactorError,
//   TooFewNodesForReplicationFactorError                       -> FAILED_PRECONDITION
//   StaleDriverError                                           -> ABORTED
// Schema-migration errors stop start-up, and so does CoordinatorIdInUseError; they, and the
// lease errors a coordinator handles itself, never reach a client.
import type { Migration, NodeStatus } from './metadata-store';

/** Base of every metadata-store error, so callers can tell them from bugs. */
export class MetadataError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class TenantExistsError extends MetadataError {
  constructor(readonly tenantId: string) {
    super(`tenant ${JSON.stringify(tenantId)} already exists`);
  }
}

export class TenantNotFoundError extends MetadataError {
  constructor(readonly tenantId: string) {
    super(`tenant ${JSON.stringify(tenantId)} not found`);
  }
}

/** An optimistic-lock update lost: the tenant changed since the caller read it. */
export class VersionConflictError extends MetadataError {
  constructor(
    readonly tenantId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(
      `tenant ${JSON.stringify(tenantId)} is at version ${actualVersion}, ` +
        `not the expected version ${expectedVersion}`,
    );
  }
}

export class NodeExistsError extends MetadataError {
  constructor(readonly nodeId: string) {
    super(`storage node ${JSON.stringify(nodeId)} already exists`);
  }
}

export class NodeNotFoundError extends MetadataError {
  constructor(readonly nodeId: string) {
    super(`storage node ${JSON.stringify(nodeId)} not found`);
  }
}

export class MigrationExistsError extends MetadataError {
  constructor(readonly migrationId: string) {
    super(`migration ${JSON.stringify(migrationId)} already exists`);
  }
}

export class MigrationNotFoundError extends MetadataError {
  constructor(readonly migrationId: string) {
    super(`migration ${JSON.stringify(migrationId)} not found`);
  }
}

/** Admission refused: another migration is unfinished (one migration at a time). */
export class MigrationRunningError extends MetadataError {
  constructor(readonly running: Migration) {
    super(
      `migration ${JSON.stringify(running.migrationId)} (${running.type} of ` +
        `${migrationSubject(running)}) is ${running.status}; one migration runs at a time`,
    );
  }
}

/** The node is not in the status the operation needs. */
export class NodeStateError extends MetadataError {
  constructor(
    readonly nodeId: string,
    readonly status: NodeStatus,
    readonly required: NodeStatus = 'active',
  ) {
    super(`storage node ${JSON.stringify(nodeId)} is ${status}, not ${required}`);
  }
}

/** Removing the node would leave fewer active nodes than a tenant's replication factor. */
export class NodeCountBelowReplicationFactorError extends MetadataError {
  constructor(
    readonly nodeId: string,
    readonly remaining: number,
    readonly replicationFactor: number,
    readonly tenantId: string,
  ) {
    super(
      `removing storage node ${JSON.stringify(nodeId)} would leave ${remaining} active ` +
        `storage nodes, fewer than the replication factor ${replicationFactor} of tenant ` +
        JSON.stringify(tenantId),
    );
  }
}

/** A replication factor larger than the number of active storage nodes. */
export class TooFewNodesForReplicationFactorError extends MetadataError {
  constructor(
    readonly tenantId: string,
    readonly replicationFactor: number,
    readonly activeNodes: number,
  ) {
    super(
      `replication factor ${replicationFactor} for tenant ${JSON.stringify(tenantId)} needs ` +
        `${replicationFactor} active storage nodes, the cluster has ${activeNodes}`,
    );
  }
}

/** A driver call whose epoch, phase or status no longer matches: another driver took over, or
 * the migration moved on. The caller stops driving. */
export class StaleDriverError extends MetadataError {
  constructor(
    readonly migrationId: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`migration ${JSON.stringify(migrationId)}: expected ${expected}, found ${actual}`);
  }
}

/** An anti-entropy call whose epoch is no longer the lease's: another runner took over, or
 * the lease lapsed. The caller stops running passes (docs/architecture.md#anti-entropy). */
export class StaleAntiEntropyRunnerError extends MetadataError {
  constructor(
    readonly instanceId: string,
    readonly epoch: number,
    readonly currentEpoch: number,
  ) {
    super(
      `anti-entropy runner ${JSON.stringify(instanceId)} at epoch ${epoch} no longer holds ` +
        `the lease (epoch now ${currentEpoch})`,
    );
  }
}

export class RepairNotFoundError extends MetadataError {
  constructor(readonly repairId: string) {
    super(`repair ${JSON.stringify(repairId)} not found`);
  }
}

/** Another live process holds this coordinator id: a duplicate id must never start. */
export class CoordinatorIdInUseError extends MetadataError {
  constructor(
    readonly coordinatorId: string,
    readonly holderInstanceId: string,
    readonly leaseRemainingMs: number,
  ) {
    super(
      `coordinator id ${JSON.stringify(coordinatorId)} is held by live instance ` +
        `${JSON.stringify(holderInstanceId)} (lease ${leaseRemainingMs} ms left); ` +
        'each coordinator needs a unique id',
    );
  }
}

/** The coordinator's registry row is gone or another instance took it over. */
export class CoordinatorLeaseLostError extends MetadataError {
  constructor(
    readonly coordinatorId: string,
    readonly instanceId: string,
    readonly holderInstanceId: string | null,
  ) {
    super(
      `coordinator ${JSON.stringify(coordinatorId)} instance ${JSON.stringify(instanceId)} ` +
        (holderInstanceId === null
          ? 'lost its lease: the registry row is gone'
          : `lost its lease to instance ${JSON.stringify(holderInstanceId)}`),
    );
  }
}

/** A lease renewal refused because the coordinator has not taken the previous ring version. */
export class StaleRingVersionError extends MetadataError {
  constructor(
    readonly takenRingVersion: number,
    readonly currentRingVersion: number,
  ) {
    super(
      `lease not renewed: ring version ${takenRingVersion} taken, but the ring is at ` +
        `${currentRingVersion}; take at least ${currentRingVersion - 1} first`,
    );
  }
}

/** A value the schema would refuse (replication factor out of range, bad token, ...). */
export class InvalidMetadataError extends MetadataError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(`invalid ${field} ${describeValue(value)}: ${reason}`);
  }
}

/** The database cannot be reached or dropped the connection; the operation may be retried. */
export class MetadataUnavailableError extends MetadataError {
  constructor(detail: string, cause?: unknown) {
    super(`metadata store unavailable: ${detail}`, { cause });
  }
}

/** A schema-migration file was edited after it had been applied. */
export class SchemaChecksumMismatchError extends MetadataError {
  constructor(
    readonly fileName: string,
    readonly recordedChecksum: string,
    readonly actualChecksum: string,
  ) {
    super(
      `schema migration ${fileName} was applied with checksum ${recordedChecksum} but the file ` +
        `now has checksum ${actualChecksum}; never edit an applied migration, add a new one`,
    );
  }
}

/** The migrations folder is missing, unreadable or holds a badly named file. */
export class SchemaMigrationFileError extends MetadataError {
  constructor(
    readonly filePath: string,
    reason: string,
  ) {
    super(`schema migration ${filePath}: ${reason}`);
  }
}

function migrationSubject(migration: Migration): string {
  return migration.type === 'replication_factor_change'
    ? `tenant ${JSON.stringify(migration.tenantId)}`
    : `node ${JSON.stringify(migration.nodeId)}`;
}

function describeValue(value: unknown): string {
  return typeof value === 'bigint' ? value.toString() : JSON.stringify(value);
}
