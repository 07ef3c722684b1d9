// The exit status of every `pairdb` command, one per kind of failure, so scripts can branch on
// it; `pairdb --help` prints this table. 2 is the usual code for a bad command line. Which error
// gets which code is failure-report.ts (loaded only when a command fails).
export const EXIT_OK = 0;
/** Anything not listed below, bugs included. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INVALID_ARGUMENT = 3;
export const EXIT_NOT_FOUND = 4;
export const EXIT_ALREADY_EXISTS = 5;
export const EXIT_UNAVAILABLE = 6;
export const EXIT_DEADLINE_EXCEEDED = 7;
export const EXIT_CONFLICT = 8;
export const EXIT_FAILED_PRECONDITION = 9;
export const EXIT_RESOURCE_EXHAUSTED = 10;
/** Stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** A command line the CLI refuses before contacting anything (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A command-specific failure that already says everything (exit 1 unless told otherwise). */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/** The table for `pairdb --help`. */
export const EXIT_CODE_HELP = `Exit codes:
  0    success
  1    other failure
  2    bad command line (unknown option, missing argument, bad value)
  3    INVALID_ARGUMENT: the server refused a field (key too long, bad replication factor, ...)
  4    NOT_FOUND: unknown tenant, key, node or migration
  5    ALREADY_EXISTS: tenant or node already exists
  6    UNAVAILABLE: quorum not reached, coordinator unreachable, metadata store down
  7    DEADLINE_EXCEEDED: no answer within --timeout
  8    ABORTED: concurrent update (retry with the new version)
  9    FAILED_PRECONDITION: refused, e.g. removing a node would leave too few replicas
  10   RESOURCE_EXHAUSTED: value too large, disk guard tripped
  130  interrupted (Ctrl-C)`;
