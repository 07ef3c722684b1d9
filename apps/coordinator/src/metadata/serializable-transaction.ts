// SERIALIZABLE transactions with retries. PostgreSQL aborts one of two serializable
// transactions whose reads and writes could not have run one after the other (SQLSTATE 40001),
// and one of two that deadlock (40P01); running the loser again, from its first read, is the
// documented remedy. Admissions rely on it: two that each saw no unfinished migration cannot
// both commit.
import { MetadataUnavailableError } from './metadata-errors';
import { sqlStateOf, type SqlExecutor, type SqlQueryable } from './sql-executor';

/** Runs of one transaction before giving up; contention beyond that means something is wrong. */
export const SERIALIZABLE_ATTEMPTS_MAX = 5;
/** Upper bound of the random pause before a rerun, so two losers do not collide again. */
const RETRY_PAUSE_MS_MAX = 20;

const SQLSTATE_SERIALIZATION_FAILURE = '40001';
const SQLSTATE_DEADLOCK_DETECTED = '40P01';
export const SQLSTATE_UNIQUE_VIOLATION = '23505';

export interface SerializableOptions {
  /**
   * Also rerun on a unique violation: a concurrent transaction inserted the same unique value
   * after this one's snapshot (PostgreSQL may report that as 23505 rather than 40001); the
   * rerun sees the committed row and decides again. Only for work whose own inserts handle
   * every expected duplicate with ON CONFLICT.
   */
  retryUniqueViolation?: boolean;
}

export async function serializableTransaction<T>(
  executor: SqlExecutor,
  work: (transaction: SqlQueryable) => Promise<T>,
  options: SerializableOptions = {},
): Promise<T> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= SERIALIZABLE_ATTEMPTS_MAX; attempt++) {
    try {
      return await executor.transaction(async (transaction) => {
        await transaction.query('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE');
        return work(transaction);
      });
    } catch (error) {
      if (!isRetryable(error, options)) throw error;
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * RETRY_PAUSE_MS_MAX));
    }
  }
  throw new MetadataUnavailableError(
    `a serializable transaction conflicted ${SERIALIZABLE_ATTEMPTS_MAX} times in a row; retry`,
    lastError,
  );
}

function isRetryable(error: unknown, options: SerializableOptions): boolean {
  const code = sqlStateOf(error);
  if (code === SQLSTATE_SERIALIZATION_FAILURE || code === SQLSTATE_DEADLOCK_DETECTED) return true;
  return options.retryUniqueViolation === true && code === SQLSTATE_UNIQUE_VIOLATION;
}
