// What a valid tenant looks like (docs/architecture.md#metadata).
import { InvalidArgumentError } from '../errors';
import {
  CONFLICT_RESOLUTIONS,
  REPLICATION_FACTOR_MAX,
  REPLICATION_FACTOR_MIN,
  type ConflictResolution,
} from '../metadata';

// The tenant id rule is shared with the storage nodes: validateTenantId in @pairdb/wire-contract.

export const REPLICATION_FACTOR_DEFAULT = 3;

/** 0 means "not given": the default. */
export function replicationFactorOrDefault(value: number): number {
  const factor = value === 0 ? REPLICATION_FACTOR_DEFAULT : value;
  validateReplicationFactor(factor);
  return factor;
}

export function validateReplicationFactor(value: number): void {
  if (
    !Number.isInteger(value) ||
    value < REPLICATION_FACTOR_MIN ||
    value > REPLICATION_FACTOR_MAX
  ) {
    throw new InvalidArgumentError(
      'replication_factor',
      value,
      `must be from ${REPLICATION_FACTOR_MIN} to ${REPLICATION_FACTOR_MAX}`,
    );
  }
}

/** Empty means the default, `lww`. */
export function parseConflictResolution(value: string): ConflictResolution {
  if (value === '') return 'lww';
  const lower = value.toLowerCase();
  if ((CONFLICT_RESOLUTIONS as readonly string[]).includes(lower))
    return lower as ConflictResolution;
  throw new InvalidArgumentError('conflict_resolution', value, 'must be "lww" or "siblings"');
}
