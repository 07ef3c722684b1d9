// A bounded QUORUM write load: a few writers in parallel, each writing fresh keys one after the
// other until stopped or until its write budget is spent. Every write is recorded with the phase
// of the test it was issued in, as acknowledged (with its value) or failed (with the error).
import type { CoordinatorClient } from './cluster-harness';

/** Where the test stood when a write was issued. */
export type LoadPhase = 'before-partition' | 'partitioned';

export interface LoadedWrite {
  readonly key: string;
  readonly value: string;
  readonly issuedIn: LoadPhase;
}

export interface FailedWrite extends LoadedWrite {
  readonly error: string;
}

export interface QuorumWriteLoadOptions {
  readonly client: CoordinatorClient;
  readonly tenantId: string;
  /** Hands out a fresh key for each write. */
  readonly nextKey: () => string;
  readonly writers: number;
  /** Writes one writer makes at most: the load ends even if nobody stops it. */
  readonly writesPerWriterMax: number;
}

/** How often a wait re-checks the counts. */
const POLL_INTERVAL_MS = 20;

export class QuorumWriteLoad {
  phase: LoadPhase = 'before-partition';
  readonly acknowledged: LoadedWrite[] = [];
  readonly failed: FailedWrite[] = [];
  private stopping = false;
  private writers: Promise<void>[] = [];

  constructor(private readonly options: QuorumWriteLoadOptions) {}

  start(): void {
    this.writers = Array.from({ length: this.options.writers }, (_, k) => this.writer(k));
  }

  /** Lets each writer finish the write it has in flight, then returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.writers);
  }

  acknowledgedIn(phase: LoadPhase): number {
    return this.acknowledged.filter((write) => write.issuedIn === phase).length;
  }

  /** Waits until `count` writes issued in `phase` were acknowledged. */
  async waitForAcknowledged(phase: LoadPhase, count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.acknowledgedIn(phase) < count) {
      if (Date.now() > deadline) {
        throw new Error(
          `only ${this.acknowledgedIn(phase)} of ${count} writes issued ${phase} were ` +
            `acknowledged within ${timeoutMs} ms; ${this.failed.length} failed` +
            (this.failed[0] ? `, first: ${this.failed[0].error}` : ''),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  }

  private async writer(index: number): Promise<void> {
    for (let n = 0; n < this.options.writesPerWriterMax && !this.stopping; n++) {
      const key = this.options.nextKey();
      const write = {
        key,
        value: `written by writer ${index} as its write ${n}`,
        issuedIn: this.phase,
      };
      try {
        await this.options.client.write({
          tenantId: this.options.tenantId,
          key,
          value: Buffer.from(write.value),
          consistency: 'quorum',
        });
        this.acknowledged.push(write);
      } catch (error) {
        this.failed.push({ ...write, error: (error as Error).message });
      }
    }
  }
}
