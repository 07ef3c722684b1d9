// When a failed call is tried again. Only operations that are safe to repeat are retried:
// reads, and writes that carry an idempotency key (the coordinator answers a repeat with the
// stored response). A retry never outlives the call's deadline.
//
// Backoff: attempt n (1-based) waits a uniformly random time in [0, min(cap, base * 2^(n-1))]
// ("full jitter"), so clients that failed together do not come back together.
import { ConflictError, PairDBError, UnavailableError } from './errors';

export interface RetryOptions {
  /** Tries in all, the first included; default 3. 1 disables retries. */
  attempts?: number;
  /** First backoff ceiling; default 50 ms. */
  backoffBaseMs?: number;
  /** Largest backoff ceiling; default 1000 ms. */
  backoffMaxMs?: number;
}

export const RETRY_ATTEMPTS_DEFAULT = 3;
export const BACKOFF_BASE_MS_DEFAULT = 50;
export const BACKOFF_MAX_MS_DEFAULT = 1_000;
/** Upper bound on attempts: a misconfigured client must not hammer a struggling cluster. */
export const RETRY_ATTEMPTS_MAX = 10;

/** How safe an operation is to repeat. */
export type Repeatability =
  /** Reads: any number of repeats leaves the same state. */
  | 'safe'
  /** Writes with an idempotency key: a repeat is answered from the stored response. */
  | 'keyed-write'
  /** Everything else: a repeat could apply twice or fail confusingly (ALREADY_EXISTS). */
  | 'unsafe';

export class RetryPolicy {
  readonly attempts: number;
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(
    options: RetryOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.attempts = Math.min(
      RETRY_ATTEMPTS_MAX,
      Math.max(1, Math.floor(options.attempts ?? RETRY_ATTEMPTS_DEFAULT)),
    );
    this.baseMs = Math.max(0, options.backoffBaseMs ?? BACKOFF_BASE_MS_DEFAULT);
    this.maxMs = Math.max(this.baseMs, options.backoffMaxMs ?? BACKOFF_MAX_MS_DEFAULT);
  }

  /** Whether `error`, from attempt number `attempt` (1-based), deserves another try. */
  shouldRetry(error: unknown, repeatability: Repeatability, attempt: number): boolean {
    if (attempt >= this.attempts || repeatability === 'unsafe') return false;
    if (!(error instanceof PairDBError)) return false;
    if (error instanceof UnavailableError) return true;
    // ABORTED on a keyed write means "the same request is still in progress": try later.
    return repeatability === 'keyed-write' && error instanceof ConflictError;
  }

  /** Milliseconds to wait before attempt `attempt + 1`. */
  backoffMs(attempt: number): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** (attempt - 1));
    return Math.floor(this.random() * ceiling);
  }
}
