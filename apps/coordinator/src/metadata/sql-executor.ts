// The small SQL surface the metadata store and the migration runner are written against, so
// the same queries run on a PostgreSQL pool and on embedded PGlite. Implementations turn
// connection failures into MetadataUnavailableError and leave every other database error
// (with its SQLSTATE `code`) to the caller.

/**
 * A value bound to a `$n` placeholder. 64-bit integers and ring tokens go as decimal strings,
 * so no driver ever rounds them through a double.
 */
export type SqlParam = string | number | boolean | Buffer | null;

/** A row as the driver returns it; decode columns with the helpers of sql-values.ts. */
export type SqlRow = Record<string, unknown>;

export interface SqlQueryable {
  /** One statement with `$1..$n` parameters; resolves to the rows it returned. */
  query(text: string, params?: readonly SqlParam[]): Promise<SqlRow[]>;
  /** A script of several statements without parameters (a migration file). */
  executeScript(sql: string): Promise<void>;
}

/** Told about notifications on one channel. */
export interface NotificationHandler {
  onNotification(payload: string): void;
  /**
   * The listening connection was lost and is listening again: notifications sent meanwhile
   * were missed, so re-read whatever they would have announced.
   */
  onReconnect?(): void;
}

export interface SqlExecutor extends SqlQueryable {
  /** 'postgres' or 'pglite', for logs. */
  readonly kind: string;
  /**
   * Runs `work` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when
   * it throws (and the error is rethrown).
   */
  transaction<T>(work: (transaction: SqlQueryable) => Promise<T>): Promise<T>;
  /** LISTEN on `channel` (a lowercase identifier); resolves once listening, to the unlisten. */
  listen(channel: string, handler: NotificationHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The SQLSTATE code the store reacts to (PostgreSQL Appendix A). */
export const SQLSTATE_FOREIGN_KEY_VIOLATION = '23503';

const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** LISTEN takes no parameters, so a channel is only ever a plain, checked identifier. */
export function checkChannelName(channel: string): string {
  if (!CHANNEL_NAME.test(channel)) {
    throw new Error(`bad notification channel name ${JSON.stringify(channel)}`);
  }
  return channel;
}

export function sqlStateOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
