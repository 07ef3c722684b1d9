// The one place storage-node errors become gRPC statuses (DESIGN.md section 8).
import { status, type ServerErrorResponse, Metadata } from '@grpc/grpc-js';
import {
  BackgroundError,
  CorruptionError,
  DiskFullError,
  EngineClosedError,
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
  if (error instanceof RequestTooLargeError || error instanceof DiskFullError) {
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
