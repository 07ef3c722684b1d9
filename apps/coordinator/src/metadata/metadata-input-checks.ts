// Checks of values before they reach SQL, so a bad value is an InvalidMetadataError naming the
// field and the value rather than a CHECK violation (the schema's CHECKs say the same).
import { COUNTER_MAX } from '@pairdb/vectorclock';
import { InvalidMetadataError } from './metadata-errors';
import {
  COORDINATOR_INSTANCE_ID_LENGTH_MAX,
  LEASE_MS_MAX,
  METADATA_ID_LENGTH_MAX,
  REPLICATION_FACTOR_MAX,
  REPLICATION_FACTOR_MIN,
} from './metadata-store';
import { TOKEN_MAX } from './sql-values';

export function checkId(field: string, value: string, lengthMax = METADATA_ID_LENGTH_MAX): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidMetadataError(field, value, 'must be a non-empty string');
  }
  if (value.length > lengthMax) {
    throw new InvalidMetadataError(field, value, `longer than ${lengthMax}`);
  }
}

export function checkInstanceId(value: string): void {
  checkId('instance_id', value, COORDINATOR_INSTANCE_ID_LENGTH_MAX);
}

export function checkReplicationFactor(value: number): void {
  checkRange('replication_factor', value, REPLICATION_FACTOR_MIN, REPLICATION_FACTOR_MAX);
}

export function checkLeaseMs(value: number): void {
  checkRange('lease_ms', value, 1, LEASE_MS_MAX);
}

export function checkRange(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidMetadataError(field, value, `must be an integer in ${min}..${max}`);
  }
}

export function checkCount(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidMetadataError(field, value, 'must be a non-negative safe integer');
  }
}

export function checkToken(field: string, value: bigint): void {
  if (typeof value !== 'bigint' || value < 0n || value > TOKEN_MAX) {
    throw new InvalidMetadataError(field, value, 'must be a uint64 ring token (bigint)');
  }
}

/** A hybrid-logical-clock reading: the wire's int64 counter, never negative. */
export function checkClockReading(field: string, value: bigint): void {
  if (typeof value !== 'bigint' || value < 0n || value > COUNTER_MAX) {
    throw new InvalidMetadataError(field, value, 'must be a clock reading in 0..2^63-1 (bigint)');
  }
}

export function checkOneOf<T extends string>(field: string, value: T, allowed: readonly T[]): void {
  if (!allowed.includes(value)) {
    throw new InvalidMetadataError(field, value, `must be one of ${allowed.join(', ')}`);
  }
}
