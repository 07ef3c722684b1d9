// The client's named errors and the one place a gRPC status becomes one of them
// (docs/architecture.md#errors). Callers branch on the class, never on numeric codes:
//
//   INVALID_ARGUMENT                 -> InvalidArgumentError
//   NOT_FOUND                        -> NotFoundError
//   ALREADY_EXISTS                   -> AlreadyExistsError
//   ABORTED                          -> ConflictError
//   FAILED_PRECONDITION              -> FailedPreconditionError
//   UNAVAILABLE                      -> QuorumError when the status details carry a QuorumFailure,
//                                       ConnectionError when no server answered (no details),
//                                       UnavailableError otherwise
//   DEADLINE_EXCEEDED                -> DeadlineExceededError
//   RESOURCE_EXHAUSTED               -> OverloadedQuorumError with a QuorumFailure (full disks),
//                                       ResourceExhaustedError otherwise
//   CANCELLED                        -> CancelledError
//   anything else (INTERNAL, ...)    -> InternalError
//
// Everything is read from the status code and the google.rpc.Status the server sends in
// `grpc-status-details-bin`, never from the message text, which is for people.
import { status, type ServiceError } from '@grpc/grpc-js';
import {
  statusDetailsOf,
  unpackQuorumFailure,
  type QuorumFailureDetails,
  type ReplicaFailureDetails,
} from '@pairdb/wire-contract';

/** One replica's failure in a quorum error: node id, gRPC code name, message. */
export type ReplicaFailure = ReplicaFailureDetails;

/** gRPC status names, as the server reports them. */
export type StatusName = keyof typeof status;

/** Base of every error the client throws for a failed call. */
export class PairDBError extends Error {
  constructor(
    /** The gRPC status name, e.g. `NOT_FOUND`. */
    readonly code: StatusName,
    /** The RPC that failed, e.g. `ReadKeyValue`. */
    readonly operation: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidArgumentError extends PairDBError {}
export class NotFoundError extends PairDBError {}
export class AlreadyExistsError extends PairDBError {}
/** An optimistic-lock conflict, or an idempotent request still in progress (ABORTED). */
export class ConflictError extends PairDBError {}
export class FailedPreconditionError extends PairDBError {}
export class UnavailableError extends PairDBError {}
export class DeadlineExceededError extends PairDBError {}
export class ResourceExhaustedError extends PairDBError {}
export class CancelledError extends PairDBError {}
/** A server bug or an unexpected status: not the caller's fault, not retried. */
export class InternalError extends PairDBError {}

/** Fewer replicas answered than the consistency level needs. */
export class QuorumError extends UnavailableError {
  constructor(
    operation: string,
    message: string,
    readonly achieved: number,
    readonly required: number,
    /** Each replica that failed, as the coordinator reported it. */
    readonly replicas: readonly ReplicaFailure[] = [],
  ) {
    super('UNAVAILABLE', operation, message);
  }
}

/**
 * A write quorum lost to replicas that refused for lack of resources (their disk guard
 * tripped): retrying will not help until space is freed, so it is not retried.
 */
export class OverloadedQuorumError extends ResourceExhaustedError {
  constructor(
    operation: string,
    message: string,
    readonly achieved: number,
    readonly required: number,
    readonly replicas: readonly ReplicaFailure[] = [],
  ) {
    super('RESOURCE_EXHAUSTED', operation, message);
  }
}

/** The server could not be reached at all (refused, unresolvable, dropped). */
export class ConnectionError extends UnavailableError {
  constructor(
    operation: string,
    message: string,
    readonly address: string,
  ) {
    super('UNAVAILABLE', operation, message);
  }
}

/** A request the client refuses before sending it (empty tenant id, bad consistency, ...). */
export class ClientUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientUsageError';
  }
}

type ErrorClass = new (code: StatusName, operation: string, message: string) => PairDBError;

const CLASSES: Partial<Record<StatusName, ErrorClass>> = {
  INVALID_ARGUMENT: InvalidArgumentError,
  OUT_OF_RANGE: InvalidArgumentError,
  NOT_FOUND: NotFoundError,
  ALREADY_EXISTS: AlreadyExistsError,
  ABORTED: ConflictError,
  FAILED_PRECONDITION: FailedPreconditionError,
  DEADLINE_EXCEEDED: DeadlineExceededError,
  RESOURCE_EXHAUSTED: ResourceExhaustedError,
  CANCELLED: CancelledError,
};

export function statusName(code: number): StatusName {
  return (status[code] as StatusName | undefined) ?? 'UNKNOWN';
}

/** The named error for a failed call to `address`. */
export function fromServiceError(
  error: Pick<ServiceError, 'code' | 'details' | 'message'> &
    Partial<Pick<ServiceError, 'metadata'>>,
  operation: string,
  address: string,
): PairDBError {
  const name = statusName(error.code);
  const detail = error.details || error.message;
  // PairDB servers send a google.rpc.Status with every error; grpc-js sends none for a call
  // that never reached a server.
  const answered = statusDetailsOf(error.metadata);
  const quorum = unpackQuorumFailure(answered);
  if (name === 'UNAVAILABLE') {
    if (quorum) return quorumError(QuorumError, operation, detail, quorum);
    if (!answered) {
      return new ConnectionError(operation, `cannot reach ${address}: ${detail}`, address);
    }
    return new UnavailableError(name, operation, detail);
  }
  if (name === 'RESOURCE_EXHAUSTED' && quorum) {
    return quorumError(OverloadedQuorumError, operation, detail, quorum);
  }
  const errorClass = CLASSES[name] ?? InternalError;
  return new errorClass(name, operation, detail);
}

function quorumError<E extends QuorumError | OverloadedQuorumError>(
  errorClass: new (
    operation: string,
    message: string,
    achieved: number,
    required: number,
    replicas: readonly ReplicaFailure[],
  ) => E,
  operation: string,
  message: string,
  quorum: QuorumFailureDetails,
): E {
  return new errorClass(operation, message, quorum.achieved, quorum.required, quorum.replicas);
}
