// The one place coordinator errors become gRPC statuses (docs/architecture.md#errors): a table
// of error class to code, and the structured details a quorum failure carries.
import { status, type ServerErrorResponse } from '@grpc/grpc-js';
import {
  buildGrpcError,
  InvalidFieldError,
  packQuorumFailure,
  type StatusDetail,
} from '@pairdb/wire-contract';
import { NodeRegistrationConflictError, UnreachableNodeRemovalError } from '../admin-service';
import {
  AntiEntropyDisabledError,
  KeyNotFoundError,
  LeaseLapsedError,
  NoStorageNodesError,
  RingBehindError,
  OverloadedQuorumError,
  QuorumError,
  TooLargeError,
} from '../errors';
import { IdempotencyUnavailableError } from '../idempotency';
import {
  InvalidMetadataError,
  MetadataUnavailableError,
  MigrationExistsError,
  MigrationNotFoundError,
  MigrationRunningError,
  NodeCountBelowReplicationFactorError,
  NodeExistsError,
  NodeNotFoundError,
  NodeStateError,
  RepairNotFoundError,
  StaleDriverError,
  TenantExistsError,
  TenantNotFoundError,
  TooFewNodesForReplicationFactorError,
  VersionConflictError,
} from '../metadata';
import { DuplicateInProgressError } from '../paths/idempotent-writes';
import type { ReplicaFailureKind } from '../replicas/replica-failure';

/** First match wins: subclasses come before their base class. */
const CODES: ReadonlyArray<[new (...args: never[]) => Error, status]> = [
  [InvalidFieldError, status.INVALID_ARGUMENT],
  [InvalidMetadataError, status.INVALID_ARGUMENT],
  [TenantNotFoundError, status.NOT_FOUND],
  [KeyNotFoundError, status.NOT_FOUND],
  [NodeNotFoundError, status.NOT_FOUND],
  [MigrationNotFoundError, status.NOT_FOUND],
  [RepairNotFoundError, status.NOT_FOUND],
  [TenantExistsError, status.ALREADY_EXISTS],
  [NodeExistsError, status.ALREADY_EXISTS],
  [NodeRegistrationConflictError, status.ALREADY_EXISTS],
  [MigrationExistsError, status.ALREADY_EXISTS],
  [VersionConflictError, status.ABORTED],
  [StaleDriverError, status.ABORTED],
  [DuplicateInProgressError, status.ABORTED],
  [OverloadedQuorumError, status.RESOURCE_EXHAUSTED],
  [QuorumError, status.UNAVAILABLE],
  [NoStorageNodesError, status.UNAVAILABLE],
  [RingBehindError, status.UNAVAILABLE],
  [MetadataUnavailableError, status.UNAVAILABLE],
  [LeaseLapsedError, status.UNAVAILABLE],
  [IdempotencyUnavailableError, status.UNAVAILABLE],
  [TooLargeError, status.RESOURCE_EXHAUSTED],
  [UnreachableNodeRemovalError, status.FAILED_PRECONDITION],
  [AntiEntropyDisabledError, status.FAILED_PRECONDITION],
  [MigrationRunningError, status.FAILED_PRECONDITION],
  [NodeStateError, status.FAILED_PRECONDITION],
  [NodeCountBelowReplicationFactorError, status.FAILED_PRECONDITION],
  [TooFewNodesForReplicationFactorError, status.FAILED_PRECONDITION],
];

/** Each kind of replica failure as the gRPC code name a client reads in QuorumFailure. */
const REPLICA_FAILURE_CODES: Record<ReplicaFailureKind, keyof typeof status> = {
  unreachable: 'UNAVAILABLE',
  'timed-out': 'DEADLINE_EXCEEDED',
  overloaded: 'RESOURCE_EXHAUSTED',
  refused: 'INVALID_ARGUMENT',
  damaged: 'DATA_LOSS',
  // The replica refused a stale ring version; the coordinator already reloaded and retried.
  fenced: 'ABORTED',
  // The replica answered something the coordinator could not read: a bug on one side.
  corrupt: 'INTERNAL',
  missing: 'UNAVAILABLE',
  failed: 'INTERNAL',
};

export function statusCodeOf(error: unknown): status {
  for (const [type, code] of CODES) if (error instanceof type) return code;
  return status.INTERNAL;
}

function detailsOf(error: unknown): StatusDetail[] {
  if (!(error instanceof QuorumError)) return [];
  return [
    packQuorumFailure({
      operation: error.operation,
      achieved: error.achieved,
      required: error.required,
      replicas: error.failures.map((f) => ({
        nodeId: f.nodeId,
        code: REPLICA_FAILURE_CODES[f.kind],
        message: f.reason,
      })),
    }),
  ];
}

export function toGrpcError(error: unknown): ServerErrorResponse {
  return buildGrpcError(statusCodeOf(error), error, detailsOf(error));
}
