// Worker-thread entry that owns the embedded PGlite database. PGlite runs PostgreSQL as
// WebAssembly on the thread that calls it, synchronously for the length of each statement,
// so it lives here rather than on the coordinator's event loop (which serves gRPC). It also
// keeps PGlite's own module loading (dynamic imports) out of whatever loaded the coordinator.
// Must stay free of workspace imports: production starts it as its own bundle.
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { parentPort, workerData } from 'node:worker_threads';
import type {
  PgliteReply,
  PgliteRequest,
  PgliteWorkerData,
  TransferredError,
} from './pglite-messages';

interface OpenTransaction {
  transaction: Transaction;
  finish(commit: boolean): void;
  done: Promise<void>;
}

/** Thrown inside PGlite's transaction callback to make it roll back. */
const ROLLBACK = Symbol('rollback');

const port = parentPort!;
const { dataDir } = workerData as PgliteWorkerData;
const database = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
const transactions = new Map<number, OpenTransaction>();
const unlisteners = new Map<number, () => Promise<void>>();
let nextTransactionId = 1;

function send(reply: PgliteReply): void {
  port.postMessage(reply);
}

function transfer(error: unknown): TransferredError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
  };
}

function target(transactionId: number | undefined): PGlite | Transaction {
  if (transactionId === undefined) return database;
  const open = transactions.get(transactionId);
  if (!open) throw new Error(`no open transaction ${transactionId}`);
  return open.transaction;
}

function begin(): Promise<number> {
  return new Promise((resolve, reject) => {
    const transactionId = nextTransactionId++;
    let entered = false;
    const done = database.transaction(async (transaction) => {
      entered = true;
      const commit = await new Promise<boolean>((finish) => {
        transactions.set(transactionId, { transaction, finish, done });
        resolve(transactionId);
      });
      if (!commit) throw ROLLBACK;
    });
    done.catch((error: unknown) => {
      if (!entered) reject(error);
    });
  });
}

async function end(transactionId: number, commit: boolean): Promise<void> {
  const open = transactions.get(transactionId);
  if (!open) throw new Error(`no open transaction ${transactionId}`);
  transactions.delete(transactionId);
  open.finish(commit);
  try {
    await open.done;
  } catch (error) {
    if (error !== ROLLBACK) throw error;
  }
}

async function handle(request: PgliteRequest): Promise<unknown> {
  switch (request.op) {
    case 'query':
      return (await target(request.transactionId).query(request.text, request.params)).rows;
    case 'script':
      await target(request.transactionId).exec(request.sql);
      return null;
    case 'begin':
      return begin();
    case 'end':
      return end(request.transactionId, request.commit);
    case 'listen': {
      const unlisten = await database.listen(request.channel, (payload) =>
        send({ kind: 'notification', listenerId: request.listenerId, payload }),
      );
      unlisteners.set(request.listenerId, unlisten);
      return null;
    }
    case 'unlisten':
      await unlisteners.get(request.listenerId)?.();
      unlisteners.delete(request.listenerId);
      return null;
    case 'close':
      if (!database.closed) await database.close();
      return null;
  }
}

port.on('message', (request: PgliteRequest) => {
  handle(request).then(
    (result) => send({ kind: 'result', id: request.id, result }),
    (error: unknown) => send({ kind: 'error', id: request.id, error: transfer(error) }),
  );
});

database.waitReady.then(
  () => send({ kind: 'ready' }),
  (error: unknown) => send({ kind: 'failed', error: transfer(error) }),
);
