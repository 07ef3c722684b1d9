// The storage node's error table: which status each named error answers with.
import { status } from '@grpc/grpc-js';
import { InvalidFieldError } from '@pairdb/wire-contract';
import {
  BackgroundError,
  CorruptionError,
  DiskFullError,
  EngineClosedError,
} from '../../src/engine/errors';
import { StaleMigrationEpochError, StaleRingVersionError } from '../../src/fencing/errors';
import { DeadlinePassedError, NotServingError, statusCodeOf } from '../../src/grpc/status';
import { CorruptVersionsError } from '../../src/versions/corrupt-versions-error';
import { InvalidRequestError, RequestTooLargeError } from '../../src/versions/validation';

describe('storage-node errors to gRPC status', () => {
  it.each([
    [new InvalidRequestError('key', '', 'is required'), status.INVALID_ARGUMENT],
    [
      new InvalidFieldError('versions.siblings[0].dot', undefined, 'is required'),
      status.INVALID_ARGUMENT,
    ],
    [new DiskFullError('free disk space below the minimum'), status.RESOURCE_EXHAUSTED],
    [new RequestTooLargeError('value', 2, 1), status.RESOURCE_EXHAUSTED],
    [new DeadlinePassedError(50), status.DEADLINE_EXCEEDED],
    [new NotServingError('draining'), status.UNAVAILABLE],
    [new EngineClosedError('closed'), status.UNAVAILABLE],
    [new BackgroundError('flush failed'), status.UNAVAILABLE],
    [new CorruptionError('bad block CRC', '000007.sst', 4096), status.DATA_LOSS],
    [
      new CorruptVersionsError('node-1', 't', 'k', Buffer.from([1]), new Error('bad')),
      status.DATA_LOSS,
    ],
    [new StaleRingVersionError(4n, 5n), status.ABORTED],
    [new StaleMigrationEpochError('m1', 1n, 2n), status.FAILED_PRECONDITION],
    [new Error('a bug'), status.INTERNAL],
  ])('%s -> %s', (error, code) => {
    expect(statusCodeOf(error)).toBe(code);
  });

  it('answers ABORTED for a stale ring version and nothing else', () => {
    const others = [
      new InvalidRequestError('key', '', 'is required'),
      new DiskFullError('full'),
      new NotServingError('draining'),
      new CorruptionError('bad', 'f', 0),
      new StaleMigrationEpochError('m1', 1n, 2n),
      new Error('a bug'),
    ];
    for (const error of others) expect(statusCodeOf(error)).not.toBe(status.ABORTED);
  });
});
