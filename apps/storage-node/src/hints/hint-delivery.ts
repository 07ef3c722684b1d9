// Hands hints to their owners in the background. A hint is deleted only after its owner
// acknowledged the repair; an unreachable owner is retried with exponential backoff. Hints older
// than the window are dropped and counted: after that long, anti-entropy heals the replica.
//
// A hint whose target no longer owns its key (a migration moved the key) goes to the key's
// current owners instead (docs/architecture.md#hinted-handoff): when the node's newest layout
// does not list the target among the key's replicas, or when the target refuses the hint as not
// an owner. It is deleted only once every one of those owners acknowledged it; a repair merges
// idempotently, so an owner that gets it twice after a partial failure loses nothing.
import type { Logger } from '@pairdb/service-runtime';
import type { Hint, HintStore, HintTarget } from './hint-store';

/** Hints sent to one owner per round: bounds the work and the memory of one round. */
export const HINTS_PER_ROUND_MAX = 256;
/** First retry delay after an owner failed; doubles per failure. */
export const BACKOFF_INITIAL_MS = 500;
/** Longest wait between attempts on an unreachable owner. */
export const BACKOFF_MAX_MS = 30_000;

/** What became of one hint sent to one node: acknowledged, refused as not an owner, or failed. */
export type HintOutcome = 'delivered' | 'not-an-owner' | Error;

export interface HintSender {
  /** Sends each hint to `target` as a Repair; resolves with each hint's outcome, in order. */
  send(target: HintTarget, hints: readonly Hint[]): Promise<HintOutcome[]>;
}

export interface HintDeliveryOptions {
  store: HintStore;
  sender: HintSender;
  logger: Logger;
  /** Pause between delivery rounds; default 1 s. */
  intervalMs?: number;
  /** Hints older than this are dropped; default 3 h. */
  maxAgeMs?: number;
  /**
   * The nodes the newest ring layout assigns a key to, or undefined when the node cannot say
   * (no layout yet, a tenant it does not list). Default: never known, so hints go to their target.
   */
  ownersOf?(tenantId: string, key: string): readonly HintTarget[] | undefined;
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
    const moved = fresh.filter((hint) => this.targetLost(hint));
    const direct = fresh.filter((hint) => !moved.includes(hint));
    const delivered: Hint[] = [];
    let failure: Error | undefined;
    if (direct.length > 0) {
      const outcomes = await this.options.sender.send(direct[0]!.target, direct);
      direct.forEach((hint, index) => {
        const outcome = outcomes[index] ?? new Error('no outcome');
        if (outcome === 'delivered') delivered.push(hint);
        else if (outcome === 'not-an-owner') moved.push(hint);
        else failure ??= outcome;
      });
    }
    const rerouted = await this.reroute(moved);
    failure ??= rerouted.failure;
    if (failure) this.backOff(nodeId, fresh.length, failure);
    else this.backoff.delete(nodeId);
    let removed = 0;
    for (const hint of [...delivered, ...rerouted.delivered]) {
      if (await this.options.store.remove(hint)) removed++;
    }
    if (removed === 0) return;
    this.options.onDelivered?.(removed);
    this.options.logger.info(
      { target: nodeId, delivered: removed, toCurrentOwners: rerouted.delivered.length },
      'hints delivered',
    );
  }

  /** Whether the newest layout names the key's owners and the hint's target is not one. */
  private targetLost(hint: Hint): boolean {
    const owners = this.options.ownersOf?.(hint.tenantId, hint.key);
    return owners !== undefined && !owners.some((owner) => owner.nodeId === hint.target.nodeId);
  }

  /**
   * Sends each hint to every current owner of its key; answers the hints all of them
   * acknowledged, and the first failure, if any (the rest wait for the next round).
   */
  private async reroute(hints: readonly Hint[]): Promise<{ delivered: Hint[]; failure?: Error }> {
    const byOwner = new Map<string, { owner: HintTarget; hints: Hint[] }>();
    const failed = new Set<Hint>();
    let failure: Error | undefined;
    for (const hint of hints) {
      const owners = this.options.ownersOf?.(hint.tenantId, hint.key);
      if (!owners) {
        failed.add(hint);
        failure ??= new Error(
          `${hint.target.nodeId} is not an owner of tenant ${hint.tenantId} key ` +
            `${JSON.stringify(hint.key)}, and this node's ring layout does not name the owners`,
        );
        continue;
      }
      for (const owner of owners) {
        const group = byOwner.get(owner.nodeId) ?? { owner, hints: [] };
        group.hints.push(hint);
        byOwner.set(owner.nodeId, group);
      }
    }
    for (const { owner, hints: sent } of byOwner.values()) {
      const outcomes = await this.options.sender.send(owner, sent);
      sent.forEach((hint, index) => {
        const outcome = outcomes[index] ?? new Error('no outcome');
        if (outcome === 'delivered') return;
        failed.add(hint);
        failure ??=
          outcome === 'not-an-owner'
            ? new Error(`${owner.nodeId} refused a hint as not an owner (its ring is newer)`)
            : outcome;
      });
    }
    return { delivered: hints.filter((hint) => !failed.has(hint)), failure };
  }

  private backOff(nodeId: string, hints: number, error: Error): void {
    const failures = (this.backoff.get(nodeId)?.failures ?? 0) + 1;
    const delayMs = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** (failures - 1));
    this.backoff.set(nodeId, { failures, nextAttemptMs: this.now() + delayMs });
    this.options.logger.warn(
      { target: nodeId, hints, retryInMs: delayMs, err: error.message },
      'hint delivery failed',
    );
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
