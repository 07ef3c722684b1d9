// What a valid tenant looks like (docs/architecture.md#metadata).
import { InvalidArgumentError } from '../errors';
import {
  CONFLICT_RESOLUTIONS,
  REPLICATION_FACTOR_MAX,
  REPLICATION_FACTOR_MIN,
  type ConflictResolution,
} from '../metadata';

/** Tenant ids: letters, digits, `_`, `-` and `.`, starting with a letter or digit. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export const TENANT_ID_LENGTH_MAX = 128;
export const REPLICATION_FACTOR_DEFAULT = 3;

export function validateTenantId(tenantId: string): void {
  if (tenantId === '') throw new InvalidArgumentError('tenant_id', tenantId, 'is required');
  if (!TENANT_ID_PATTERN.test(tenantId)) {
    throw new InvalidArgumentError(
      'tenant_id',
      tenantId,
      `must be 1-${TENANT_ID_LENGTH_MAX} letters, digits, "_", "-" or ".", starting with a letter or digit`,
    );
  }
}

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
