// Each kind of failure has its own exit status, and the message names the problem.
import {
  AlreadyExistsError,
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
} from '@pairdb/client';
import {
  CommandError,
  EXIT_ALREADY_EXISTS,
  EXIT_CONFLICT,
  EXIT_DEADLINE_EXCEEDED,
  EXIT_FAILED_PRECONDITION,
  EXIT_FAILURE,
  EXIT_INVALID_ARGUMENT,
  EXIT_NOT_FOUND,
  EXIT_RESOURCE_EXHAUSTED,
  EXIT_UNAVAILABLE,
  EXIT_USAGE,
  exitCodeFor,
  UsageError,
} from '../../src/exit-codes';
import { describeFailure } from '../../src/program';

describe('exitCodeFor', () => {
  it.each([
    [new UsageError('bad flag'), EXIT_USAGE],
    [new InvalidArgumentError('INVALID_ARGUMENT', 'Op', 'm'), EXIT_INVALID_ARGUMENT],
    [new NotFoundError('NOT_FOUND', 'Op', 'm'), EXIT_NOT_FOUND],
    [new AlreadyExistsError('ALREADY_EXISTS', 'Op', 'm'), EXIT_ALREADY_EXISTS],
    [new UnavailableError('UNAVAILABLE', 'Op', 'm'), EXIT_UNAVAILABLE],
    [new QuorumError('Op', 'm', 1, 2), EXIT_UNAVAILABLE],
    [new ConnectionError('Op', 'm', 'a:1'), EXIT_UNAVAILABLE],
    [new DeadlineExceededError('DEADLINE_EXCEEDED', 'Op', 'm'), EXIT_DEADLINE_EXCEEDED],
    [new ConflictError('ABORTED', 'Op', 'm'), EXIT_CONFLICT],
    [new FailedPreconditionError('FAILED_PRECONDITION', 'Op', 'm'), EXIT_FAILED_PRECONDITION],
    [new ResourceExhaustedError('RESOURCE_EXHAUSTED', 'Op', 'm'), EXIT_RESOURCE_EXHAUSTED],
    [new InternalError('INTERNAL', 'Op', 'm'), EXIT_FAILURE],
    [new CommandError('custom', 42), 42],
    [new Error('anything else'), EXIT_FAILURE],
  ])('%p exits %i', (error, code) => {
    expect(exitCodeFor(error)).toBe(code);
  });

  it('gives distinct codes to NOT_FOUND, INVALID_ARGUMENT and UNAVAILABLE', () => {
    expect(
      new Set([EXIT_NOT_FOUND, EXIT_INVALID_ARGUMENT, EXIT_UNAVAILABLE, EXIT_FAILURE]).size,
    ).toBe(4);
  });
});

describe('describeFailure', () => {
  it('names the status and adds what to try for a quorum failure', () => {
    const text = describeFailure(
      new QuorumError('WriteKeyValue', 'write quorum not reached: 1/2 replicas acknowledged', 1, 2),
    );
    expect(text).toBe(
      'pairdb: write quorum not reached: 1/2 replicas acknowledged (UNAVAILABLE)\n' +
        'hint: only 1 of the 2 replicas needed answered; check `pairdb status`, or use ' +
        '--consistency one.\n',
    );
  });

  it('has no status suffix for local errors', () => {
    expect(describeFailure(new UsageError('missing value'))).toBe('pairdb: missing value\n');
  });
});
