// How long the migration driver keeps trying one moving range before it rolls the migration back
// (docs/architecture.md#membership-and-migrations). A node that does not answer (down,
// restarting, partitioned) is waited for without limit: it may come back, and a rollback would
// not help while it is away. A node that answers with a refusal (its disk guard refusing writes,
// a request it finds invalid, damaged data) fails the same way on every attempt, so after
// COPY_ATTEMPTS_MAX failures in a row, with growing pauses between them that let a passing
// overload (a full write queue) clear, the range names why the migration rolls back.
import { ReplicaFailure, isUnreachableFailure } from '../replicas/replica-failure';
import type { CopyTask } from './migration-plan';

/** Consecutive refusals of one range's copy or verification before the migration rolls back. */
export const COPY_ATTEMPTS_MAX = 5;
/** The first pause is this share of the step retry pause; each next one doubles, up to it. */
const FIRST_PAUSE_DIVISOR = 4;

/** What to do after a failure: wait and try again, or roll the migration back for `reason`. */
export type AfterFailure = { retryInMs: number } | { rollBackFor: string };

export class RangeAttempts {
  private refusals = 0;

  constructor(
    private readonly task: CopyTask,
    private readonly step: 'copy' | 'verification',
    /** The pause before retrying after a node down, and the longest pause between refusals. */
    private readonly retryMs: number,
  ) {}

  /** Refusals in a row so far. */
  get count(): number {
    return this.refusals;
  }

  /** The range moved on (a page landed, a source finished): refusals count from zero again. */
  progressed(): void {
    this.refusals = 0;
  }

  /**
   * Counts `error` if it is a node's refusal; anything else (a node down, the metadata store out
   * of reach) is retried after the full pause without counting, as before any refusal.
   */
  failed(error: unknown): AfterFailure {
    if (!(error instanceof ReplicaFailure) || isUnreachableFailure(error)) {
      return { retryInMs: this.retryMs };
    }
    this.refusals++;
    if (this.refusals >= COPY_ATTEMPTS_MAX) return { rollBackFor: this.reason(error) };
    const first = this.retryMs / FIRST_PAUSE_DIVISOR;
    return { retryInMs: Math.min(this.retryMs, first * 2 ** (this.refusals - 1)) };
  }

  private reason(error: ReplicaFailure): string {
    const { tenantId, range, destination } = this.task;
    return (
      `range (${range.start}, ${range.end}] of tenant ${tenantId}: ${this.step} to ` +
      `${destination.nodeId} failed ${this.refusals} times in a row; last error: ${error.message}`
    );
  }
}
