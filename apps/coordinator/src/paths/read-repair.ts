// Read repair (docs/architecture.md#the-read-path-and-read-repair): replicas that answered a read
// with stale versions or none, or whose stored copy was damaged, get the reconciled set written
// back, asynchronously, through a bounded queue drained by a few workers. A full queue drops the
// repair and counts it (the next read of the key queues it again).
import type { VersionSet } from '@pairdb/vectorclock';
import type { ConflictPolicy } from '@pairdb/wire-contract';
import {
  prepareRepair,
  type ReplicaNode,
  type ReplicaTransport,
} from '../replicas/replica-transport';

/** Repairs waiting at most; beyond it new ones are dropped and counted. */
export const REPAIR_QUEUE_MAX_DEFAULT = 10_000;
/** Repairs in flight at once. */
export const REPAIR_WORKERS_DEFAULT = 4;

export interface RepairJob {
  readonly node: ReplicaNode;
  readonly tenantId: string;
  readonly key: string;
  readonly versions: VersionSet;
  readonly policy: ConflictPolicy;
}

export interface ReadRepairEvents {
  onTriggered?(): void;
  onDone?(): void;
  onFailed?(job: RepairJob, error: Error): void;
  onDropped?(): void;
}

export interface ReadRepairOptions {
  transport: ReplicaTransport;
  timeoutMs: number;
  queueMax?: number;
  workers?: number;
  events?: ReadRepairEvents;
}

export class ReadRepairQueue {
  private readonly queue: RepairJob[] = [];
  private active = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: ReadRepairOptions) {}

  get queued(): number {
    return this.queue.length;
  }

  /** Queues a repair; false (and counted) when the queue is full. */
  enqueue(job: RepairJob): boolean {
    this.options.events?.onTriggered?.();
    if (this.queue.length >= (this.options.queueMax ?? REPAIR_QUEUE_MAX_DEFAULT)) {
      this.options.events?.onDropped?.();
      return false;
    }
    this.queue.push(job);
    this.pump();
    return true;
  }

  /** Resolves once nothing is queued or running (tests, shutdown). */
  idle(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    const workers = this.options.workers ?? REPAIR_WORKERS_DEFAULT;
    while (this.active < workers && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.active++;
      void this.run(job).finally(() => {
        this.active--;
        this.pump();
        if (this.active === 0 && this.queue.length === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const resolve of waiters) resolve();
        }
      });
    }
  }

  private async run(job: RepairJob): Promise<void> {
    const operation = prepareRepair(job.tenantId, job.key, job.versions, job.policy);
    try {
      await this.options.transport.send(job.node, operation, this.options.timeoutMs);
      this.options.events?.onDone?.();
    } catch (error) {
      this.options.events?.onFailed?.(job, error as Error);
    }
  }
}
