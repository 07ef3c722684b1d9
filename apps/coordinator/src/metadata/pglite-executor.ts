// SqlExecutor over embedded PostgreSQL (PGlite, PostgreSQL compiled to WebAssembly), used when
// no PostgreSQL server is configured (docs/architecture.md#metadata). The database
// lives in a worker thread (pglite-worker.ts) so its statements never block this event loop;
// calls cross as messages (pglite-messages.ts). PGlite is one single-user backend: statements
// and transactions are serialised, NOTIFY reaches listeners of the same instance, and a data
// dir must be opened by one process at a time.
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { MetadataUnavailableError } from './metadata-errors';
import type {
  PgliteReply,
  PgliteRequest,
  PgliteWorkerData,
  TransferredError,
} from './pglite-messages';
import {
  checkChannelName,
  type NotificationHandler,
  type SqlExecutor,
  type SqlParam,
  type SqlQueryable,
  type SqlRow,
} from './sql-executor';

export interface PgliteOptions {
  /** Where the database files live; created when missing. Unset: in memory (tests only). */
  dataDir?: string;
}

/** A database error raised inside the worker, with its SQLSTATE kept. */
export class EmbeddedDatabaseError extends Error {
  readonly code: string | undefined;

  constructor(transferred: TransferredError) {
    super(transferred.message);
    this.name = transferred.name === 'Error' ? 'EmbeddedDatabaseError' : transferred.name;
    this.code = transferred.code;
  }
}

/** A request before the executor numbers it. */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = Unnumbered<PgliteRequest>;

/**
 * The worker entry: the TypeScript source next to this file when running from sources (tests,
 * dev), else the bundled JavaScript (the build emits it as dist/metadata/pglite-worker.js
 * while this code is bundled into dist/main.js).
 */
function workerEntry(): { file: string; execArgv: string[] } {
  const source = path.join(__dirname, 'pglite-worker.ts');
  if (existsSync(source)) return { file: source, execArgv: ['--require', '@swc-node/register'] };
  for (const bundled of [
    path.join(__dirname, 'pglite-worker.js'),
    path.join(__dirname, 'metadata', 'pglite-worker.js'),
  ]) {
    if (existsSync(bundled)) return { file: bundled, execArgv: [] };
  }
  throw new MetadataUnavailableError(`embedded PostgreSQL worker not found beside ${__dirname}`);
}

/** Opens (or creates) the embedded database; resolves once it accepts queries. */
/** Longest wait for the embedded database to close before its worker is stopped anyway. */
const CLOSE_TIMEOUT_MS = 5_000;

export async function openPgliteExecutor(options: PgliteOptions): Promise<SqlExecutor> {
  const entry = workerEntry();
  // PGlite creates only the last folder of its path; a fresh install has none of them.
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
  const workerData: PgliteWorkerData = { dataDir: options.dataDir };
  const worker = new Worker(entry.file, { workerData, execArgv: entry.execArgv });
  const where = options.dataDir ?? '(memory)';
  await new Promise<void>((resolve, reject) => {
    const fail = (error: unknown): void => {
      void worker.terminate();
      const reason = error instanceof Error ? `: ${error.message}` : '';
      reject(
        new MetadataUnavailableError(
          `embedded PostgreSQL at ${where} did not start${reason}`,
          error,
        ),
      );
    };
    worker.once('message', (reply: PgliteReply) => {
      worker.off('error', fail);
      if (reply.kind === 'ready') resolve();
      else fail(reply.kind === 'failed' ? new EmbeddedDatabaseError(reply.error) : reply);
    });
    worker.once('error', fail);
  });
  return new PgliteExecutor(worker, where);
}

class PgliteExecutor implements SqlExecutor {
  readonly kind = 'pglite';
  private readonly pending = new Map<
    number,
    { resolve(result: unknown): void; reject(error: unknown): void }
  >();
  private readonly listeners = new Map<number, NotificationHandler>();
  private nextId = 1;
  private closedReason: string | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly where: string,
  ) {
    worker.on('message', (reply: PgliteReply) => this.receive(reply));
    worker.on('error', (error) => this.stop(`worker failed: ${error.message}`));
    worker.on('exit', (code) => this.stop(`worker exited with code ${code}`));
  }

  async query(text: string, params: readonly SqlParam[] = []): Promise<SqlRow[]> {
    return (await this.call({ op: 'query', text, params: [...params] })) as SqlRow[];
  }

  async executeScript(sql: string): Promise<void> {
    await this.call({ op: 'script', sql });
  }

  async transaction<T>(work: (transaction: SqlQueryable) => Promise<T>): Promise<T> {
    const transactionId = (await this.call({ op: 'begin' })) as number;
    let result: T;
    try {
      result = await work({
        query: async (text, params = []) =>
          (await this.call({ op: 'query', text, params: [...params], transactionId })) as SqlRow[],
        executeScript: async (sql) => {
          await this.call({ op: 'script', sql, transactionId });
        },
      });
    } catch (error) {
      await this.call({ op: 'end', transactionId, commit: false }).catch(() => undefined);
      throw error;
    }
    await this.call({ op: 'end', transactionId, commit: true });
    return result;
  }

  async listen(channel: string, handler: NotificationHandler): Promise<() => Promise<void>> {
    const listenerId = this.nextId++;
    this.listeners.set(listenerId, handler);
    try {
      await this.call({ op: 'listen', channel: checkChannelName(channel), listenerId });
    } catch (error) {
      this.listeners.delete(listenerId);
      throw error;
    }
    return async () => {
      if (!this.listeners.delete(listenerId) || this.closedReason) return;
      await this.call({ op: 'unlisten', listenerId });
    };
  }

  async close(): Promise<void> {
    if (this.closedReason) return;
    try {
      // A database that does not finish closing must not keep the process alive.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>(
        (resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)),
      );
      await Promise.race([this.call({ op: 'close' }), timeout]).finally(() => clearTimeout(timer));
    } finally {
      this.stop('closed');
      await this.worker.terminate();
    }
  }

  private call(request: Request): Promise<unknown> {
    if (this.closedReason) {
      return Promise.reject(
        new MetadataUnavailableError(
          `embedded PostgreSQL at ${this.where} is ${this.closedReason}`,
        ),
      );
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id } as PgliteRequest);
    });
  }

  private receive(reply: PgliteReply): void {
    if (reply.kind === 'notification') {
      this.listeners.get(reply.listenerId)?.onNotification(reply.payload);
      return;
    }
    if (reply.kind !== 'result' && reply.kind !== 'error') return;
    const waiter = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (reply.kind === 'result') waiter?.resolve(reply.result);
    else waiter?.reject(new EmbeddedDatabaseError(reply.error));
  }

  /** Fails every call still waiting; later calls fail at once. */
  private stop(reason: string): void {
    this.closedReason ??= reason;
    const error = new MetadataUnavailableError(`embedded PostgreSQL at ${this.where}: ${reason}`);
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
    this.listeners.clear();
  }
}
