// The node's fencing refusals (docs/architecture.md#fencing) and the ways its fence and layout
// files can fail to load. The status table (grpc/status.ts) maps the refusals to the codes
// @pairdb/wire-contract names; nothing here knows gRPC.
import { NOT_AN_OWNER_MESSAGE_PREFIX } from '@pairdb/wire-contract';

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

/**
 * A write, delete or repair of a key that no ring version the node holds a layout for assigns to
 * it: the sender placed it under a ring it should reload. The message starts with the prefix the
 * coordinator recognizes (@pairdb/wire-contract storage-refusals.ts).
 */
export class NotAnOwnerError extends Error {
  constructor(
    readonly nodeId: string,
    readonly tenantId: string,
    readonly key: string,
    readonly ringVersion: bigint,
    readonly layoutVersion: bigint,
  ) {
    super(
      `${NOT_AN_OWNER_MESSAGE_PREFIX}node ${nodeId} is not a replica of tenant ` +
        `${JSON.stringify(tenantId)} key ${JSON.stringify(key)} at ring version ${ringVersion} ` +
        `(layout of ring version ${layoutVersion}): reload the ring and retry`,
    );
    this.name = 'NotAnOwnerError';
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

/**
 * The layout file exists but cannot be trusted. The node does not start: without it, it would
 * purge tombstones inside a range that is still moving.
 */
export class CorruptLayoutFileError extends Error {
  constructor(
    reason: string,
    readonly file: string,
    readonly offset: number,
  ) {
    super(
      `layout file ${file} is damaged: ${reason} (offset ${offset}); the node does not start ` +
        'rather than forget which ranges are moving (docs/architecture.md#fencing)',
    );
    this.name = 'CorruptLayoutFileError';
  }
}
