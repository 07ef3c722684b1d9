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
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CommandError, EXIT_CODE_HELP, UsageError } from '../../src/exit-codes';
import { describeFailure, exitCodeFor } from '../../src/failure-report';
import { README_EXIT_CODES as EXIT } from '../support/readme-exit-codes';

const README = path.resolve(__dirname, '../../../../README.md');

describe('exitCodeFor', () => {
  it.each([
    [new UsageError('bad flag'), EXIT['bad command line']],
    [new InvalidArgumentError('INVALID_ARGUMENT', 'Op', 'm'), EXIT.INVALID_ARGUMENT],
    [new NotFoundError('NOT_FOUND', 'Op', 'm'), EXIT.NOT_FOUND],
    [new AlreadyExistsError('ALREADY_EXISTS', 'Op', 'm'), EXIT.ALREADY_EXISTS],
    [new UnavailableError('UNAVAILABLE', 'Op', 'm'), EXIT.UNAVAILABLE],
    [new QuorumError('Op', 'm', 1, 2), EXIT.UNAVAILABLE],
    [new ConnectionError('Op', 'm', 'a:1'), EXIT.UNAVAILABLE],
    [new DeadlineExceededError('DEADLINE_EXCEEDED', 'Op', 'm'), EXIT.DEADLINE_EXCEEDED],
    [new ConflictError('ABORTED', 'Op', 'm'), EXIT.ABORTED],
    [new FailedPreconditionError('FAILED_PRECONDITION', 'Op', 'm'), EXIT.FAILED_PRECONDITION],
    [new ResourceExhaustedError('RESOURCE_EXHAUSTED', 'Op', 'm'), EXIT.RESOURCE_EXHAUSTED],
    [new InternalError('INTERNAL', 'Op', 'm'), EXIT.other],
    [new CommandError('custom', 42), 42],
    [new Error('anything else'), EXIT.other],
  ])('%p exits %i', (error, code) => {
    expect(exitCodeFor(error)).toBe(code);
  });
});

describe('the exit codes scripts rely on', () => {
  it('are the ones README.md lists', () => {
    const text = readFileSync(README, 'utf8').replace(/\s+/g, ' ');
    const listed = /exit with a code per kind \(([^)]*)\)/.exec(text)?.[1];
    expect(listed?.split(', ')).toEqual(
      Object.entries(EXIT).map(([name, code]) => `${code} ${name}`),
    );
  });

  it.each(Object.entries(EXIT).filter(([name]) => name !== 'ok'))(
    '`pairdb --help` explains %s as %i',
    (name, code) => {
      const line = EXIT_CODE_HELP.split('\n').find((l) => l.trim().startsWith(`${code} `));
      expect(line).toContain(name);
    },
  );
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
