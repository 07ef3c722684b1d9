// Named errors of the metadata store. Each carries the offending values so that the one
// gRPC mapping of the coordinator can say what was wrong (docs/architecture.md#errors):
//   TenantExistsError, NodeExistsError, MigrationExistsError   -> ALREADY_EXISTS
//   TenantNotFoundError, NodeNotFoundError, MigrationNotFoundError -> NOT_FOUND
//   VersionConflictError                                       -> ABORTED
//   InvalidMetadataError                                       -> INVALID_ARGUMENT
//   MetadataUnavailableError                                   -> UNAVAILABLE
// Schema-migration errors stop start-up; they never reach a client.

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

function describeValue(value: unknown): string {
  return typeof value === 'bigint' ? value.toString() : JSON.stringify(value);
}
