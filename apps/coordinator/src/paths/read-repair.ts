// Read repair (docs/architecture.md#the-read-path-and-read-repair): replicas that answered a read
// with stale versions or none, or whose stored copy was damaged, get the reconciled set written
// back, asynchronously, through a bounded queue drained by a few workers. A full queue drops the
// repair and counts it (the next read of the key queues it again). A repair is sent under the ring
// version of the read that found it; when the coordinator takes a newer version, repairs still
// queued under older ones are dropped (the next read or anti-entropy finds them again), so the
// version barrier never waits on a long queue.
import type { VersionSet } from '@pairdb/vectorclock';
import type { ConflictPolicy } from '@pairdb/wire-contract';
import type { RequestsInFlight } from '../routing/requests-in-flight';
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
  /** The ring version of the read that found the stale replica. */
  readonly ringVersion: number;
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
  /** Counts each queued or running repair under its ring version. */
  inFlight?: RequestsInFlight;
}

interface QueuedRepair {
  readonly job: RepairJob;
  readonly done: (() => void) | undefined;
}

export class ReadRepairQueue {
  private queue: QueuedRepair[] = [];
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
    this.queue.push({ job, done: this.options.inFlight?.begin(job.ringVersion) });
    this.pump();
    return true;
  }

  /** Drops queued repairs placed under a version below `ringVersion`; answers how many. */
  dropOlderThan(ringVersion: number): number {
    const stale = this.queue.filter((queued) => queued.job.ringVersion < ringVersion);
    if (stale.length === 0) return 0;
    this.queue = this.queue.filter((queued) => queued.job.ringVersion >= ringVersion);
    for (const queued of stale) {
      this.options.events?.onDropped?.();
      queued.done?.();
    }
    this.wakeIdle();
    return stale.length;
  }

  /** Resolves once nothing is queued or running (tests, shutdown). */
  idle(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    const workers = this.options.workers ?? REPAIR_WORKERS_DEFAULT;
    while (this.active < workers && this.queue.length > 0) {
      const queued = this.queue.shift()!;
      this.active++;
      void this.run(queued.job).finally(() => {
        this.active--;
        queued.done?.();
        this.pump();
        this.wakeIdle();
      });
    }
  }

  private wakeIdle(): void {
    if (this.active !== 0 || this.queue.length !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private async run(job: RepairJob): Promise<void> {
    const operation = prepareRepair(
      job.tenantId,
      job.key,
      job.versions,
      job.policy,
      job.ringVersion,
    );
    try {
      await this.options.transport.send(job.node, operation, this.options.timeoutMs);
      this.options.events?.onDone?.();
    } catch (error) {
      this.options.events?.onFailed?.(job, error as Error);
    }
  }
}
