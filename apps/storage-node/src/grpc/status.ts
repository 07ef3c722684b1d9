// The one place storage-node errors become gRPC statuses (docs/architecture.md#errors).
import { status, type ServerErrorResponse, Metadata } from '@grpc/grpc-js';
import {
  BackgroundError,
  CorruptionError,
  DiskFullError,
  EngineClosedError,
  WriteQueueFullError,
} from '../engine/errors';
import { InvalidRequestError, RequestTooLargeError } from '../versions/validation';

export class NotServingError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'NotServingError';
  }
}

export class DeadlinePassedError extends Error {
  constructor(timeoutMs: number) {
    super(`deadline of ${timeoutMs} ms passed before the request was applied`);
    this.name = 'DeadlinePassedError';
  }
}

export function statusCodeOf(error: unknown): status {
  if (error instanceof InvalidRequestError) return status.INVALID_ARGUMENT;
  // A full write queue is this replica shedding load: the coordinator counts it as failed and
  // hints the write to a stand-in, as for a full disk.
  if (
    error instanceof RequestTooLargeError ||
    error instanceof DiskFullError ||
    error instanceof WriteQueueFullError
  ) {
    return status.RESOURCE_EXHAUSTED;
  }
  if (error instanceof DeadlinePassedError) return status.DEADLINE_EXCEEDED;
  if (error instanceof NotServingError || error instanceof EngineClosedError)
    return status.UNAVAILABLE;
  // The node is up but this key's stored bytes are damaged: the coordinator answers from the
  // other replicas and sends this one a repair, which replaces the damaged set.
  if (error instanceof CorruptionError) return status.DATA_LOSS;
  // A stuck background error is a failure of the whole replica: treated like an unreachable one.
  if (error instanceof BackgroundError) return status.UNAVAILABLE;
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
