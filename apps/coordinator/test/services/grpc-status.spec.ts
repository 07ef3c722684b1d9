import { status } from '@grpc/grpc-js';
import { InvalidFieldError } from '@pairdb/wire-contract';
import { UnreachableNodeRemovalError } from '../../src/admin-service';
import {
  InvalidArgumentError,
  KeyNotFoundError,
  OverloadedQuorumError,
  QuorumError,
  TooLargeError,
} from '../../src/errors';
import { statusCodeOf, toGrpcError } from '../../src/grpc/status';
import {
  MetadataUnavailableError,
  NodeExistsError,
  TenantExistsError,
  TenantNotFoundError,
  VersionConflictError,
} from '../../src/metadata';

describe('coordinator errors to gRPC status (docs/architecture.md#errors)', () => {
  it.each([
    [new InvalidArgumentError('key', '', 'is required'), status.INVALID_ARGUMENT],
    [new InvalidFieldError('tenant_id', 'a/b', 'must be ...'), status.INVALID_ARGUMENT],
    [new TenantNotFoundError('t'), status.NOT_FOUND],
    [new KeyNotFoundError('t', 'k'), status.NOT_FOUND],
    [new TenantExistsError('t'), status.ALREADY_EXISTS],
    [new NodeExistsError('n'), status.ALREADY_EXISTS],
    [new VersionConflictError('t', 1, 2), status.ABORTED],
    [new QuorumError('write', 1, 2, []), status.UNAVAILABLE],
    [new OverloadedQuorumError('write', 1, 2, []), status.RESOURCE_EXHAUSTED],
    [new MetadataUnavailableError('down'), status.UNAVAILABLE],
    [new TooLargeError('value', 2, 1), status.RESOURCE_EXHAUSTED],
    [new UnreachableNodeRemovalError('n', 't'), status.FAILED_PRECONDITION],
    [new Error('a bug'), status.INTERNAL],
  ])('%s -> %s', (error, code) => {
    expect(statusCodeOf(error)).toBe(code);
  });

  it('carries the message naming field and value into the status details', () => {
    const grpcError = toGrpcError(
      new InvalidArgumentError('consistency', 'most', 'must be one of "one", "quorum", "all"'),
    );
    expect(grpcError.details).toBe(
      'consistency must be one of "one", "quorum", "all" (got "most")',
    );
  });
});
