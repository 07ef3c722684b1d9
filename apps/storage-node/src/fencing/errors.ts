// The node's fencing refusals (docs/architecture.md#fencing) and the one way its fence file can
// fail to load. The status table (grpc/status.ts) maps the refusals to the codes
// @pairdb/wire-contract names; nothing here knows gRPC.

/** A data request computed under a ring version older than the node's minimum accepted one. */
export class StaleRingVersionError extends Error {
  constructor(
    readonly requested: bigint,
    readonly minimum: bigint,
  ) {
    super(
      `ring version ${requested} is below this node's minimum accepted ring version ${minimum}: ` +
        'reload the ring and retry',
    );
    this.name = 'StaleRingVersionError';
  }
}

/** A migration request from a driver whose epoch was superseded by a takeover. */
export class StaleMigrationEpochError extends Error {
  constructor(
    readonly migrationId: string,
    readonly requested: bigint,
    readonly recorded: bigint,
  ) {
    super(
      `migration ${JSON.stringify(migrationId)}: driver epoch ${requested} is below epoch ` +
        `${recorded} recorded on this node (another driver took the migration over)`,
    );
    this.name = 'StaleMigrationEpochError';
  }
}

/**
 * The fence file exists but cannot be trusted (bad magic, version, length or CRC). The node does
 * not start: starting with a minimum of 0 would accept requests it already promised to refuse.
 */
export class CorruptFenceFileError extends Error {
  constructor(
    reason: string,
    readonly file: string,
    readonly offset: number,
  ) {
    super(
      `fence file ${file} is damaged: ${reason} (offset ${offset}); the node does not start ` +
        'rather than forget its minimum ring version (docs/architecture.md#fencing)',
    );
    this.name = 'CorruptFenceFileError';
  }
}
