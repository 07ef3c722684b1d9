// The exit codes README.md promises to scripts, keyed by the README's own words and written out
// here as literals: tests compare exit statuses with these, never with the constants of
// src/exit-codes.ts they are testing (a changed constant must fail a test, not move the
// expectation with it). test/unit/exit-codes.spec.ts checks README.md still says this.
export const README_EXIT_CODES = {
  ok: 0,
  other: 1,
  'bad command line': 2,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 4,
  ALREADY_EXISTS: 5,
  UNAVAILABLE: 6,
  DEADLINE_EXCEEDED: 7,
  ABORTED: 8,
  FAILED_PRECONDITION: 9,
  RESOURCE_EXHAUSTED: 10,
} as const;
