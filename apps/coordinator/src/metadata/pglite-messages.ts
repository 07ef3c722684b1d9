// Messages between PgliteExecutor (the coordinator's thread) and pglite-worker.ts (the thread
// that owns the embedded database). Every request carries an id its reply repeats.

export interface PgliteWorkerData {
  /** Unset: an in-memory database (tests only). */
  dataDir: string | undefined;
}

export type PgliteRequest =
  | { op: 'query'; id: number; text: string; params: unknown[]; transactionId?: number }
  | { op: 'script'; id: number; sql: string; transactionId?: number }
  /** Replies with a transaction id once inside BEGIN. */
  | { op: 'begin'; id: number }
  /** Replies once the transaction committed (commit true) or rolled back. */
  | { op: 'end'; id: number; transactionId: number; commit: boolean }
  | { op: 'listen'; id: number; channel: string; listenerId: number }
  | { op: 'unlisten'; id: number; listenerId: number }
  | { op: 'close'; id: number };

export interface TransferredError {
  name: string;
  message: string;
  /** SQLSTATE of a database error. */
  code?: string;
}

export type PgliteReply =
  | { kind: 'ready' }
  | { kind: 'failed'; error: TransferredError }
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; error: TransferredError }
  | { kind: 'notification'; listenerId: number; payload: string };
