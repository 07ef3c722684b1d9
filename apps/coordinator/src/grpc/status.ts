// The one place coordinator errors become gRPC statuses (docs/architecture.md#errors).
import { Metadata, status, type ServerErrorResponse } from '@grpc/grpc-js';
import { RemovalRefusedError } from '../admin-service';
import {
  DeadlineError,
  InvalidArgumentError,
  KeyNotFoundError,
  NoStorageNodesError,
  QuorumError,
  TooLargeError,
} from '../errors';
import { IdempotencyUnavailableError } from '../idempotency';
import {
  InvalidMetadataError,
  MetadataUnavailableError,
  MigrationNotFoundError,
  NodeExistsError,
  NodeNotFoundError,
  TenantExistsError,
  TenantNotFoundError,
  VersionConflictError,
} from '../metadata';
import { DuplicateInProgressError } from '../paths/idempotent-writes';

const CODES: ReadonlyArray<[new (...args: never[]) => Error, status]> = [
  [InvalidArgumentError, status.INVALID_ARGUMENT],
  [InvalidMetadataError, status.INVALID_ARGUMENT],
  [TenantNotFoundError, status.NOT_FOUND],
  [KeyNotFoundError, status.NOT_FOUND],
  [NodeNotFoundError, status.NOT_FOUND],
  [MigrationNotFoundError, status.NOT_FOUND],
  [TenantExistsError, status.ALREADY_EXISTS],
  [NodeExistsError, status.ALREADY_EXISTS],
  [VersionConflictError, status.ABORTED],
  [DuplicateInProgressError, status.ABORTED],
  [QuorumError, status.UNAVAILABLE],
  [NoStorageNodesError, status.UNAVAILABLE],
  [MetadataUnavailableError, status.UNAVAILABLE],
  [IdempotencyUnavailableError, status.UNAVAILABLE],
  [DeadlineError, status.DEADLINE_EXCEEDED],
  [TooLargeError, status.RESOURCE_EXHAUSTED],
  [RemovalRefusedError, status.FAILED_PRECONDITION],
];

export function statusCodeOf(error: unknown): status {
  for (const [type, code] of CODES) if (error instanceof type) return code;
  return status.INTERNAL;
}

export function toGrpcError(error: unknown): ServerErrorResponse {
  const message = error instanceof Error ? error.message : String(error);
  return {
    name: 'PairDBError',
    message,
    code: statusCodeOf(error),
    details: message,
    metadata: new Metadata(),
  };
}
