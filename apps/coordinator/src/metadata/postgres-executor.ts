// SqlExecutor over a node-postgres pool, plus one dedicated connection for LISTEN (a pooled
// connection cannot hold a LISTEN: it goes back to the pool). The listening connection
// reconnects by itself with backoff and tells handlers so they can re-read what they missed.
import { Client, Pool, type ClientConfig, type PoolClient, type PoolConfig } from 'pg';
import { MetadataUnavailableError } from './metadata-errors';
import {
  checkChannelName,
  sqlStateOf,
  type NotificationHandler,
  type SqlExecutor,
  type SqlParam,
  type SqlQueryable,
  type SqlRow,
} from './sql-executor';

/** The `database` section of config.yaml (seed LLD section 12); every field has a default. */
export interface PostgresConnectionOptions {
  /** postgres://user:password@host:port/database; when set, host..password are ignored. */
  url?: string;
  /** Default 'localhost'. */
  host?: string;
  /** Default 5432. */
  port?: number;
  /** Default 'pairdb_metadata'. */
  database?: string;
  /** Default 'coordinator'. */
  user?: string;
  /** Default '' (trust or peer authentication). */
  password?: string;
  /** Pool size ceiling. Default 50. */
  maxConnections?: number;
  /** Connections kept open while idle. Default 10. */
  minConnections?: number;
  /** A connection older than this is closed and replaced. Default 30 minutes. */
  connMaxLifetimeMs?: number;
  /** Giving up on opening a connection. Default 5 s. */
  connectTimeoutMs?: number;
  /** Server-side cap on one statement, and the client-side wait for its answer. Default 10 s. */
  statementTimeoutMs?: number;
  /** Errors of idle connections (the pool drops them by itself); default: ignored. */
  onBackgroundError?: (error: Error) => void;
}

export const POSTGRES_DEFAULTS = {
  host: 'localhost',
  port: 5432,
  database: 'pairdb_metadata',
  user: 'coordinator',
  password: '',
  maxConnections: 50,
  minConnections: 10,
  connMaxLifetimeMs: 30 * 60_000,
  connectTimeoutMs: 5_000,
  statementTimeoutMs: 10_000,
} as const;

/** First wait before re-opening a lost LISTEN connection; doubles up to the maximum. */
const LISTEN_RECONNECT_DELAY_MS = 500;
/** Cap of the LISTEN reconnect backoff: the 30 s ring refresh covers anything slower. */
const LISTEN_RECONNECT_DELAY_MAX_MS = 15_000;
/** Shows up in pg_stat_activity, so operators can tell coordinator connections apart. */
const APPLICATION_NAME = 'pairdb-coordinator';

// Connection-level failures: the database is unreachable, restarting or refusing clients.
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Query read timeout|Cannot use a pool after calling end/i;

export function isPostgresConnectionFailure(error: unknown): boolean {
  const code = sqlStateOf(error);
  if (code !== undefined) {
    if (NETWORK_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
    if (code.startsWith('08')) return true;
  }
  return error instanceof Error && UNAVAILABLE_MESSAGES.test(error.message);
}

function translate(error: unknown): unknown {
  if (!isPostgresConnectionFailure(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new MetadataUnavailableError(`PostgreSQL: ${detail}`, error);
}

function clientConfig(options: PostgresConnectionOptions): ClientConfig {
  const statementTimeoutMs = options.statementTimeoutMs ?? POSTGRES_DEFAULTS.statementTimeoutMs;
  const common: ClientConfig = {
    application_name: APPLICATION_NAME,
    connectionTimeoutMillis: options.connectTimeoutMs ?? POSTGRES_DEFAULTS.connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    // A little over the server's own cap, so the server's clearer error wins when it can.
    query_timeout: statementTimeoutMs + 1_000,
    keepAlive: true,
  };
  if (options.url) return { ...common, connectionString: options.url };
  return {
    ...common,
    host: options.host ?? POSTGRES_DEFAULTS.host,
    port: options.port ?? POSTGRES_DEFAULTS.port,
    database: options.database ?? POSTGRES_DEFAULTS.database,
    user: options.user ?? POSTGRES_DEFAULTS.user,
    password: options.password ?? POSTGRES_DEFAULTS.password,
  };
}

/** Opens a pool (lazily: no connection is made until the first query). */
export function createPostgresExecutor(options: PostgresConnectionOptions): SqlExecutor {
  return new PostgresExecutor(options);
}

class PostgresExecutor implements SqlExecutor {
  readonly kind = 'postgres';
  private readonly pool: Pool;
  private readonly listener: PostgresListener;

  constructor(options: PostgresConnectionOptions) {
    const config = clientConfig(options);
    const poolConfig: PoolConfig = {
      ...config,
      max: options.maxConnections ?? POSTGRES_DEFAULTS.maxConnections,
      min: options.minConnections ?? POSTGRES_DEFAULTS.minConnections,
      maxLifetimeSeconds: Math.ceil(
        (options.connMaxLifetimeMs ?? POSTGRES_DEFAULTS.connMaxLifetimeMs) / 1000,
      ),
    };
    this.pool = new Pool(poolConfig);
    this.pool.on('error', (error) => options.onBackgroundError?.(error));
    this.listener = new PostgresListener(config, options.onBackgroundError);
  }

  async query(text: string, params: readonly SqlParam[] = []): Promise<SqlRow[]> {
    try {
      const result = await this.pool.query(text, params as unknown[]);
      return result.rows as SqlRow[];
    } catch (error) {
      throw translate(error);
    }
  }

  async executeScript(sql: string): Promise<void> {
    try {
      await this.pool.query(sql);
    } catch (error) {
      throw translate(error);
    }
  }

  async transaction<T>(work: (transaction: SqlQueryable) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw translate(error);
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(clientQueryable(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw translate(error);
    } finally {
      // Releasing with an error destroys the connection instead of pooling a broken one.
      client.release(broken);
    }
  }

  listen(channel: string, handler: NotificationHandler): Promise<() => Promise<void>> {
    return this.listener.add(checkChannelName(channel), handler);
  }

  async close(): Promise<void> {
    await this.listener.close();
    await this.pool.end();
  }
}

function clientQueryable(client: PoolClient): SqlQueryable {
  return {
    async query(text, params = []) {
      try {
        return (await client.query(text, params as unknown[])).rows as SqlRow[];
      } catch (error) {
        throw translate(error);
      }
    },
    async executeScript(sql) {
      try {
        await client.query(sql);
      } catch (error) {
        throw translate(error);
      }
    },
  };
}

class PostgresListener {
  private readonly handlers = new Map<string, Set<NotificationHandler>>();
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs = LISTEN_RECONNECT_DELAY_MS;
  private closed = false;

  constructor(
    private readonly config: ClientConfig,
    private readonly onBackgroundError: ((error: Error) => void) | undefined,
  ) {}

  async add(channel: string, handler: NotificationHandler): Promise<() => Promise<void>> {
    if (this.closed) throw new MetadataUnavailableError('the store is closed');
    let channelHandlers = this.handlers.get(channel);
    const isNewChannel = channelHandlers === undefined;
    if (!channelHandlers) {
      channelHandlers = new Set();
      this.handlers.set(channel, channelHandlers);
    }
    channelHandlers.add(handler);
    try {
      const client = await this.connected();
      if (isNewChannel) await client.query(`LISTEN "${channel}"`);
    } catch (error) {
      this.remove(channel, handler);
      throw translate(error);
    }
    return async () => {
      if (this.remove(channel, handler) && this.client) {
        await this.client.query(`UNLISTEN "${channel}"`).catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.handlers.clear();
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Resolves true when the channel has no handler left. */
  private remove(channel: string, handler: NotificationHandler): boolean {
    const channelHandlers = this.handlers.get(channel);
    if (!channelHandlers?.delete(handler)) return false;
    if (channelHandlers.size > 0) return false;
    this.handlers.delete(channel);
    return true;
  }

  private connected(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<Client> {
    const client = new Client(this.config);
    client.on('notification', (message) => this.dispatch(message.channel, message.payload ?? ''));
    client.on('error', (error) => {
      this.onBackgroundError?.(error);
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`LISTEN "${channel}"`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      throw new MetadataUnavailableError('the store is closed');
    }
    this.client = client;
    this.reconnectDelayMs = LISTEN_RECONNECT_DELAY_MS;
    return client;
  }

  private dispatch(channel: string, payload: string): void {
    for (const handler of this.handlers.get(channel) ?? []) handler.onNotification(payload);
  }

  private lost(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.handlers.size === 0 || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connected().then(
        () => {
          for (const channelHandlers of this.handlers.values()) {
            for (const handler of channelHandlers) handler.onReconnect?.();
          }
        },
        () => {
          this.reconnectDelayMs = Math.min(
            this.reconnectDelayMs * 2,
            LISTEN_RECONNECT_DELAY_MAX_MS,
          );
          this.scheduleReconnect();
        },
      );
    }, this.reconnectDelayMs);
    this.reconnectTimer.unref();
  }
}
