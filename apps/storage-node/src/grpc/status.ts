// The one place storage-node errors become gRPC statuses (docs/architecture.md#errors): a table
// of error class to code; the status itself is built by @pairdb/wire-contract.
import { HashRingError } from '@pairdb/hashring';
import { status, type ServerErrorResponse } from '@grpc/grpc-js';
import {
  buildGrpcError,
  InvalidFieldError,
  NOT_AN_OWNER_CODE,
  STALE_MIGRATION_EPOCH_CODE,
  STALE_RING_VERSION_CODE,
} from '@pairdb/wire-contract';
import {
  BackgroundError,
  CorruptionError,
  DiskFullError,
  EngineClosedError,
  WriteQueueFullError,
} from '../engine/errors';
import {
  NotAnOwnerError,
  StaleMigrationEpochError,
  StaleRingVersionError,
} from '../fencing/errors';
import { CorruptVersionsError } from '../versions/corrupt-versions-error';
import { RequestTooLargeError } from '../versions/validation';

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

const CODES: ReadonlyArray<[new (...args: never[]) => Error, status]> = [
  [InvalidFieldError, status.INVALID_ARGUMENT],
  // A layout whose ring cannot be built (e.g. virtual nodes past the ring's bound).
  [HashRingError, status.INVALID_ARGUMENT],
  // The fence (docs/architecture.md#fencing): ABORTED is answered for nothing else, so the
  // coordinator can reload its ring and retry; a stale driver epoch is a driver that must stop.
  [StaleRingVersionError, STALE_RING_VERSION_CODE],
  [StaleMigrationEpochError, STALE_MIGRATION_EPOCH_CODE],
  // A write placed on a node the ring no longer assigns the key to: the coordinator reads the
  // message prefix and reloads its ring, a hint holder sends the hint to the key's owners.
  [NotAnOwnerError, NOT_AN_OWNER_CODE],
  // The disk guard: the coordinator tells this apart from an unreachable replica and answers
  // the client RESOURCE_EXHAUSTED when it costs the quorum.
  [DiskFullError, status.RESOURCE_EXHAUSTED],
  [RequestTooLargeError, status.RESOURCE_EXHAUSTED],
  // A full write queue is this replica shedding load: the coordinator counts it as failed and
  // hints the write to a stand-in, as for a full disk.
  [WriteQueueFullError, status.RESOURCE_EXHAUSTED],
  [DeadlinePassedError, status.DEADLINE_EXCEEDED],
  [NotServingError, status.UNAVAILABLE],
  [EngineClosedError, status.UNAVAILABLE],
  // Damaged stored bytes: the coordinator counts this replica as failed (damaged), answers
  // from the others and queues a read repair that replaces the damaged copy.
  [CorruptionError, status.DATA_LOSS],
  [CorruptVersionsError, status.DATA_LOSS],
  // A stuck background error: this replica refuses writes until reopened, like a down one.
  [BackgroundError, status.UNAVAILABLE],
];

export function statusCodeOf(error: unknown): status {
  for (const [type, code] of CODES) if (error instanceof type) return code;
  return status.INTERNAL;
}

export function toGrpcError(error: unknown): ServerErrorResponse {
  return buildGrpcError(statusCodeOf(error), error);
}
