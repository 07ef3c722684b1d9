// Every gRPC status a coordinator can send becomes one named error class; quorum failures and
// unreachable servers are told apart by the google.rpc.Status a server sends, never by text.
import { Metadata, status } from '@grpc/grpc-js';
import { buildGrpcError, packQuorumFailure, type StatusDetail } from '@pairdb/wire-contract';
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
  OverloadedQuorumError,
  QuorumError,
  ResourceExhaustedError,
  UnavailableError,
} from '../src';
import { fromServiceError } from '../src/errors';

const ADDRESS = '127.0.0.1:50051';

/** An error as a PairDB server sends it: code, message and a google.rpc.Status trailer. */
function mapped(code: status, details: string, statusDetails: StatusDetail[] = []) {
  const sent = buildGrpcError(code, new Error(details), statusDetails);
  return fromServiceError(
    { code, details, message: `${code} ${details}`, metadata: sent.metadata! },
    'Op',
    ADDRESS,
  );
}

const replicas = [
  { nodeId: 'node-1', code: 'UNAVAILABLE', message: 'connection refused' },
  { nodeId: 'node-2', code: 'RESOURCE_EXHAUSTED', message: 'free disk space below the minimum' },
];

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

  it('reads achieved, required and each replica from the QuorumFailure in the details', () => {
    const error = mapped(status.UNAVAILABLE, 'read quorum not reached (as text for people)', [
      packQuorumFailure({ operation: 'read', achieved: 0, required: 3, replicas }),
    ]);
    expect(error).toBeInstanceOf(QuorumError);
    expect(error).toMatchObject({ achieved: 0, required: 3, replicas, code: 'UNAVAILABLE' });
    expect(error.message).toBe('read quorum not reached (as text for people)');
  });

  it('does not read a quorum failure out of the message text', () => {
    const error = mapped(
      status.UNAVAILABLE,
      'read quorum not reached: 0/3 replicas acknowledged (node-1: down; node-2: down)',
    );
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).not.toBeInstanceOf(QuorumError);
  });

  it('makes a quorum lost to full disks a RESOURCE_EXHAUSTED error with the same details', () => {
    const error = mapped(status.RESOURCE_EXHAUSTED, 'write quorum not reached', [
      packQuorumFailure({ operation: 'write', achieved: 1, required: 2, replicas }),
    ]);
    expect(error).toBeInstanceOf(OverloadedQuorumError);
    expect(error).toBeInstanceOf(ResourceExhaustedError);
    expect(error).not.toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ achieved: 1, required: 2, replicas });
  });

  it('tells a call no server answered (no status details) from an unavailable server', () => {
    const refused = fromServiceError(
      {
        code: status.UNAVAILABLE,
        details: 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:50051',
        message: '14 UNAVAILABLE: No connection established',
        metadata: new Metadata(),
      },
      'Op',
      ADDRESS,
    );
    expect(refused).toBeInstanceOf(ConnectionError);
    expect(refused.message).toContain(`cannot reach ${ADDRESS}`);
    const busy = mapped(status.UNAVAILABLE, 'metadata store unavailable: timeout');
    expect(busy).toBeInstanceOf(UnavailableError);
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
