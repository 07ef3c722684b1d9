import { status } from '@grpc/grpc-js';
import { InvalidFieldError } from '@pairdb/wire-contract';
import {
  NodeRegistrationConflictError,
  UnreachableNodeRemovalError,
} from '../../src/admin-service';
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
  MigrationExistsError,
  MigrationRunningError,
  NodeCountBelowReplicationFactorError,
  NodeExistsError,
  NodeStateError,
  StaleDriverError,
  TenantExistsError,
  TenantNotFoundError,
  TooFewNodesForReplicationFactorError,
  VersionConflictError,
  type Migration,
} from '../../src/metadata';

const RUNNING: Migration = {
  migrationId: 'm-1',
  type: 'node_addition',
  nodeId: 'n-4',
  tenantId: null,
  fromReplicationFactor: null,
  toReplicationFactor: null,
  force: false,
  status: 'in_progress',
  phase: 'data_copy',
  driverInstanceId: null,
  driverEpoch: 1,
  keysMigrated: 0,
  totalKeys: 0,
  bytesMigrated: 0,
  rangesDone: 0,
  rangesTotal: 0,
  lostRanges: null,
  ringVersion: 7,
  startedAtUnixMs: 0,
  updatedAtUnixMs: 0,
  completedAtUnixMs: null,
  errorMessage: null,
};

describe('coordinator errors to gRPC status (docs/architecture.md#errors)', () => {
  it.each([
    [new InvalidArgumentError('key', '', 'is required'), status.INVALID_ARGUMENT],
    [new InvalidFieldError('tenant_id', 'a/b', 'must be ...'), status.INVALID_ARGUMENT],
    [new TenantNotFoundError('t'), status.NOT_FOUND],
    [new KeyNotFoundError('t', 'k'), status.NOT_FOUND],
    [new TenantExistsError('t'), status.ALREADY_EXISTS],
    [new NodeExistsError('n'), status.ALREADY_EXISTS],
    [
      new NodeRegistrationConflictError(
        'n',
        { host: 'a', port: 1, status: 'active' },
        { host: 'b', port: 2 },
      ),
      status.ALREADY_EXISTS,
    ],
    [new VersionConflictError('t', 1, 2), status.ABORTED],
    [new QuorumError('write', 1, 2, []), status.UNAVAILABLE],
    [new OverloadedQuorumError('write', 1, 2, []), status.RESOURCE_EXHAUSTED],
    [new MetadataUnavailableError('down'), status.UNAVAILABLE],
    [new TooLargeError('value', 2, 1), status.RESOURCE_EXHAUSTED],
    [new UnreachableNodeRemovalError('n', 't'), status.FAILED_PRECONDITION],
    [new MigrationExistsError('m'), status.ALREADY_EXISTS],
    [new MigrationRunningError(RUNNING), status.FAILED_PRECONDITION],
    [new NodeStateError('n', 'joining'), status.FAILED_PRECONDITION],
    [new NodeCountBelowReplicationFactorError('n', 2, 3, 't'), status.FAILED_PRECONDITION],
    [new TooFewNodesForReplicationFactorError('t', 3, 2), status.FAILED_PRECONDITION],
    [new StaleDriverError('m', 'epoch 1', 'epoch 2'), status.ABORTED],
    [new Error('a bug'), status.INTERNAL],
  ])('%s -> %s', (error, code) => {
    expect(statusCodeOf(error)).toBe(code);
  });

  it('names the running migration, its type and its node in a refused admission', () => {
    expect(toGrpcError(new MigrationRunningError(RUNNING)).details).toBe(
      'migration "m-1" (node_addition of node "n-4") is in_progress; one migration runs at a time',
    );
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
