// Every gRPC status a coordinator can send becomes one named error class.
import { status } from '@grpc/grpc-js';
import {
  AlreadyExistsError,
  CancelledError,
  ConflictError,
  ConnectionError,
  DeadlineExceededError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  QuorumError,
  ResourceExhaustedError,
  UnavailableError,
} from '../src';
import { fromServiceError } from '../src/errors';

const ADDRESS = '127.0.0.1:50051';

function mapped(code: status, details: string) {
  return fromServiceError({ code, details, message: `${code} ${details}` }, 'Op', ADDRESS);
}

describe('fromServiceError', () => {
  it.each([
    [status.INVALID_ARGUMENT, InvalidArgumentError],
    [status.NOT_FOUND, NotFoundError],
    [status.ALREADY_EXISTS, AlreadyExistsError],
    [status.ABORTED, ConflictError],
    [status.FAILED_PRECONDITION, FailedPreconditionError],
    [status.UNAVAILABLE, UnavailableError],
    [status.DEADLINE_EXCEEDED, DeadlineExceededError],
    [status.RESOURCE_EXHAUSTED, ResourceExhaustedError],
    [status.CANCELLED, CancelledError],
    [status.INTERNAL, InternalError],
    [status.UNKNOWN, InternalError],
    [status.UNIMPLEMENTED, InternalError],
  ])('maps status %i to its class, keeping the server message', (code, errorClass) => {
    const error = mapped(code, 'what went wrong');
    expect(error).toBeInstanceOf(errorClass);
    expect(error.message).toBe('what went wrong');
    expect(error.code).toBe(status[code]);
    expect(error.operation).toBe('Op');
  });

  it('reads achieved/required out of a coordinator quorum failure', () => {
    const error = mapped(
      status.UNAVAILABLE,
      'read quorum not reached: 0/3 replicas acknowledged (node-1: down; node-2: down)',
    );
    expect(error).toBeInstanceOf(QuorumError);
    expect(error).toMatchObject({ achieved: 0, required: 3 });
  });

  it('tells a connection that never came up from an unavailable server', () => {
    const refused = mapped(
      status.UNAVAILABLE,
      'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:50051',
    );
    expect(refused).toBeInstanceOf(ConnectionError);
    expect(refused.message).toContain(`cannot reach ${ADDRESS}`);
    const busy = mapped(status.UNAVAILABLE, 'metadata store unavailable: timeout');
    expect(busy).not.toBeInstanceOf(ConnectionError);
    expect(busy).not.toBeInstanceOf(QuorumError);
  });

  it('falls back to the message when a status carries no details', () => {
    const error = fromServiceError(
      { code: status.NOT_FOUND, details: '', message: '5 NOT_FOUND: gone' },
      'Op',
      ADDRESS,
    );
    expect(error.message).toBe('5 NOT_FOUND: gone');
  });
});
