/**
 * Entry point of the engine's background worker thread: runs one flush or compaction per
 * message (see tasks.ts) and replies with the result or the error. Synchronous file I/O here
 * keeps the main thread's event loop free for reads and writes.
 *
 * Located at run time by background-worker.ts, as this .ts file (sources, tests) or as the
 * bundled .js twin (production build: list this file as an esbuild entry).
 */
import { parentPort } from 'node:worker_threads';
import { runTask } from './run-task';
import { BackgroundTask, WorkerReply, describeFailure } from './tasks';

if (!parentPort) throw new Error('engine-worker must run as a worker thread');
const port = parentPort;

port.on('message', (task: BackgroundTask) => {
  let reply: WorkerReply;
  try {
    reply = { ok: true, result: runTask(task) };
  } catch (error) {
    reply = { ok: false, failure: describeFailure(error) };
  }
  port.postMessage(reply);
});
