// Hands hints to their owners in the background. A hint is deleted only after its owner
// acknowledged the repair; an unreachable owner is retried with exponential backoff. Hints older
// than the window are dropped and counted: after that long, anti-entropy heals the replica.
//
// Not done yet: a hint whose owner no longer owns its key (a migration moved the key) still goes
// to that owner, not to the key's current owners (docs/architecture.md#fencing).
import type { Logger } from '@pairdb/service-runtime';
import type { Hint, HintStore, HintTarget } from './hint-store';

/** Hints sent to one owner per round: bounds the work and the memory of one round. */
export const HINTS_PER_ROUND_MAX = 256;
/** First retry delay after an owner failed; doubles per failure. */
export const BACKOFF_INITIAL_MS = 500;
/** Longest wait between attempts on an unreachable owner. */
export const BACKOFF_MAX_MS = 30_000;

export interface HintSender {
  /** Delivers every hint to its owner (a Repair per hint); rejects if the owner did not ack. */
  send(target: HintTarget, hints: readonly Hint[]): Promise<void>;
}

export interface HintDeliveryOptions {
  store: HintStore;
  sender: HintSender;
  logger: Logger;
  /** Pause between delivery rounds; default 1 s. */
  intervalMs?: number;
  /** Hints older than this are dropped; default 3 h. */
  maxAgeMs?: number;
  now?: () => number;
  onDelivered?(count: number): void;
  onDropped?(count: number): void;
}

interface Backoff {
  failures: number;
  nextAttemptMs: number;
}

export class HintDelivery {
  private readonly backoff = new Map<string, Backoff>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: HintDeliveryOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.round;
  }

  /** One delivery round over every owner that has hints and is not backing off. */
  async deliverOnce(): Promise<void> {
    const now = this.now();
    for (const nodeId of this.options.store.targets()) {
      if (this.stopped) return;
      const backoff = this.backoff.get(nodeId);
      if (backoff && backoff.nextAttemptMs > now) continue;
      await this.deliverTo(nodeId);
    }
  }

  private async deliverTo(nodeId: string): Promise<void> {
    const hints = this.options.store.list(nodeId, HINTS_PER_ROUND_MAX);
    const fresh = await this.dropExpired(hints);
    if (fresh.length === 0) return;
    try {
      await this.options.sender.send(fresh[0]!.target, fresh);
    } catch (error) {
      const failures = (this.backoff.get(nodeId)?.failures ?? 0) + 1;
      const delayMs = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** (failures - 1));
      this.backoff.set(nodeId, { failures, nextAttemptMs: this.now() + delayMs });
      this.options.logger.warn(
        { target: nodeId, hints: fresh.length, retryInMs: delayMs, err: (error as Error).message },
        'hint delivery failed',
      );
      return;
    }
    this.backoff.delete(nodeId);
    let delivered = 0;
    for (const hint of fresh) if (await this.options.store.remove(hint)) delivered++;
    this.options.onDelivered?.(delivered);
    this.options.logger.info({ target: nodeId, delivered }, 'hints delivered');
  }

  private async dropExpired(hints: Hint[]): Promise<Hint[]> {
    const maxAgeMs = this.options.maxAgeMs ?? 3 * 3_600_000;
    const cutoff = this.now() - maxAgeMs;
    const fresh: Hint[] = [];
    let dropped = 0;
    for (const hint of hints) {
      if (hint.createdMs >= cutoff) fresh.push(hint);
      else if (await this.options.store.remove(hint)) dropped++;
    }
    if (dropped > 0) {
      this.options.onDropped?.(dropped);
      this.options.logger.warn(
        { dropped, maxAgeMs },
        'expired hints dropped; anti-entropy heals the rest',
      );
    }
    return fresh;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.deliverOnce()
        .catch((error: Error) => this.options.logger.error({ err: error }, 'hint round failed'))
        .finally(() => this.schedule());
    }, this.options.intervalMs ?? 1_000);
    this.timer.unref();
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
