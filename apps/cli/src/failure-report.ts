// How a failed command ends: its message (and what to try) on stderr, and its exit code
// (exit-codes.ts). Loaded only after a failure: it needs the client's error classes, and with
// them gRPC, which help and usage errors never load.
import {
  AlreadyExistsError,
  ClientUsageError,
  ConflictError,
  ConnectionError,
  DeadlineExceededError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PairDBError,
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
  UsageError,
} from './exit-codes';

const BY_CLASS: ReadonlyArray<[new (...args: never[]) => Error, number]> = [
  [UsageError, EXIT_USAGE],
  [ClientUsageError, EXIT_USAGE],
  [InvalidArgumentError, EXIT_INVALID_ARGUMENT],
  [NotFoundError, EXIT_NOT_FOUND],
  [AlreadyExistsError, EXIT_ALREADY_EXISTS],
  [UnavailableError, EXIT_UNAVAILABLE],
  [DeadlineExceededError, EXIT_DEADLINE_EXCEEDED],
  [ConflictError, EXIT_CONFLICT],
  [FailedPreconditionError, EXIT_FAILED_PRECONDITION],
  [ResourceExhaustedError, EXIT_RESOURCE_EXHAUSTED],
];

export function exitCodeFor(error: unknown): number {
  if (error instanceof CommandError) return error.exitCode;
  for (const [type, code] of BY_CLASS) if (error instanceof type) return code;
  return EXIT_FAILURE;
}

/** What went wrong, then what to try; names the gRPC status for server errors. */
export function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`pairdb: ${message}${error instanceof PairDBError ? ` (${error.code})` : ''}`];
  const hint = hintFor(error);
  if (hint) lines.push(`hint: ${hint}`);
  return `${lines.join('\n')}\n`;
}

function hintFor(error: unknown): string | undefined {
  if (error instanceof ConnectionError) {
    return (
      'is a cluster running there? Start one with `npm start` (or `pairdb cluster start`), ' +
      'or point --address / PAIRDB_ADDRESS at a coordinator.'
    );
  }
  if (error instanceof QuorumError) {
    return (
      `only ${error.achieved} of the ${error.required} replicas needed answered; ` +
      'check `pairdb status`, or use --consistency one.'
    );
  }
  if (error instanceof NotFoundError && /^tenant "/.test(error.message)) {
    return 'create it with `pairdb tenant create <id>` (the local cluster starts with `default`).';
  }
  return undefined;
}
