// The client's named errors and the one place a gRPC status becomes one of them
// (docs/architecture.md#errors). Callers branch on the class, never on numeric codes:
//
//   INVALID_ARGUMENT                 -> InvalidArgumentError
//   NOT_FOUND                        -> NotFoundError
//   ALREADY_EXISTS                   -> AlreadyExistsError
//   ABORTED                          -> ConflictError
//   FAILED_PRECONDITION              -> FailedPreconditionError
//   UNAVAILABLE                      -> QuorumError when the coordinator says "achieved/required",
//                                       ConnectionError when no connection could be made,
//                                       UnavailableError otherwise
//   DEADLINE_EXCEEDED                -> DeadlineExceededError
//   RESOURCE_EXHAUSTED               -> ResourceExhaustedError
//   CANCELLED                        -> CancelledError
//   anything else (INTERNAL, ...)    -> InternalError
import { status, type ServiceError } from '@grpc/grpc-js';

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
  ) {
    super('UNAVAILABLE', operation, message);
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

/** The coordinator's QuorumError message: "<op> quorum not reached: 1/2 replicas ...". */
const QUORUM_PATTERN = /quorum not reached: (\d+)\/(\d+) replicas/;
/** What grpc-js says when the channel never got a connection (client-side UNAVAILABLE). */
const CONNECTION_PATTERN =
  /No connection established|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|Name resolution failed|Connection dropped|failed to connect/i;

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
  error: Pick<ServiceError, 'code' | 'details' | 'message'>,
  operation: string,
  address: string,
): PairDBError {
  const name = statusName(error.code);
  const detail = error.details || error.message;
  if (name === 'UNAVAILABLE') {
    const quorum = QUORUM_PATTERN.exec(detail);
    if (quorum) return new QuorumError(operation, detail, Number(quorum[1]), Number(quorum[2]));
    if (CONNECTION_PATTERN.test(detail)) {
      return new ConnectionError(operation, `cannot reach ${address}: ${detail}`, address);
    }
    return new UnavailableError(name, operation, detail);
  }
  const errorClass = CLASSES[name] ?? InternalError;
  return new errorClass(name, operation, detail);
}
