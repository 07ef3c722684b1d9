/**
 * Main-thread side of the background worker: one worker thread running one task at a time, in
 * arrival order (each engine also serializes its own flushes and compactions; on 2 cores one
 * worker beside the event loop is the useful amount). A worker that dies fails the running task;
 * the next task starts a new thread.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { EngineError } from '../errors';
import { BackgroundTask, TaskResult, WorkerReply, reviveFailure } from './tasks';

/**
 * Where the worker entry may be, relative to this module: beside it as TypeScript (sources,
 * run through @swc-node/register) or JavaScript, or at its path below src/ when this module is
 * bundled into dist/main.js (tools/build/build-app.mjs keeps entry paths below src/).
 */
const WORKER_ENTRY_CANDIDATES = [
  'engine-worker.ts',
  'engine-worker.js',
  path.join('engine', 'compaction', 'engine-worker.js'),
];

export function resolveWorkerEntry(baseDir: string = __dirname): string {
  for (const candidate of WORKER_ENTRY_CANDIDATES) {
    const file = path.join(baseDir, candidate);
    if (fs.existsSync(file)) return file;
  }
  throw new EngineError(
    `engine worker entry not found near ${baseDir} ` +
      `(looked for ${WORKER_ENTRY_CANDIDATES.join(', ')})`,
  );
}

interface QueuedTask {
  task: BackgroundTask;
  transfer: ArrayBuffer[];
  resolve(result: TaskResult): void;
  reject(error: Error): void;
}

const WORKER_YOUNG_GENERATION_MB = 8;

export class BackgroundWorker {
  private static sharedWorker: BackgroundWorker | undefined;
  private worker: Worker | undefined;
  private running: QueuedTask | undefined;
  private readonly queue: QueuedTask[] = [];

  constructor(private readonly entry: string = resolveWorkerEntry()) {}

  /**
   * The process-wide worker. A node runs one engine; tests open many, one after another, and
   * starting a worker thread (loading its modules) costs far more than any of their tasks.
   */
  static shared(): BackgroundWorker {
    BackgroundWorker.sharedWorker ??= new BackgroundWorker();
    return BackgroundWorker.sharedWorker;
  }

  /** Runs one task after those queued before it; `transfer` lists buffers handed over (no copy). */
  run(task: BackgroundTask, transfer: ArrayBuffer[] = []): Promise<TaskResult> {
    return new Promise<TaskResult>((resolve, reject) => {
      this.queue.push({ task, transfer, resolve, reject });
      this.startNext();
    });
  }

  /** Stops the thread (queued tasks fail). The shared worker is never closed: it idles unref'd. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private startNext(): void {
    if (this.running) return;
    const next = this.queue.shift();
    if (!next) return;
    this.running = next;
    const worker = this.worker ?? this.start();
    // Referenced only while busy: an idle worker must not keep the process alive.
    worker.ref();
    worker.postMessage(next.task, next.transfer);
  }

  private settle(worker: Worker, outcome: (task: QueuedTask) => void): void {
    const running = this.running;
    this.running = undefined;
    worker.unref();
    if (running) outcome(running);
    this.startNext();
  }

  private start(): Worker {
    const worker = new Worker(this.entry, {
      execArgv: this.entry.endsWith('.ts') ? ['--require', '@swc-node/register'] : [],
      // A flush allocates two short-lived views per entry; a young generation left to grow to
      // V8's default held ~40 MiB more resident memory, for no measurable speed.
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    worker.on('message', (reply: WorkerReply) => {
      this.settle(worker, (task) =>
        reply.ok ? task.resolve(reply.result) : task.reject(reviveFailure(reply.failure)),
      );
    });
    const failed = (error: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.settle(worker, (task) => task.reject(error));
    };
    worker.on('error', (error) => failed(error));
    worker.on('exit', (code) =>
      failed(new EngineError(`background worker exited with code ${code}`)),
    );
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
