// The anti-entropy runner (docs/architecture.md#anti-entropy). Every coordinator runs one; the
// one holding the anti-entropy lease (metadata store, database clock, renewed every third of
// it) runs passes back to back with `passIntervalMs` between them; the others poll for the
// lease. Every claim increments the lease's epoch, which the runner's requests carry as their
// fence (ANTI_ENTROPY_FENCE_ID): once a takeover's requests reached a node, the node refuses the
// deposed runner's. A runner that fails to renew stops starting ranges at once.
import { randomUUID } from 'node:crypto';
import type { Logger } from '@pairdb/service-runtime';
import type { MetadataStore } from '../metadata';
import type { RequestsInFlight } from '../routing/requests-in-flight';
import type { AntiEntropyMetrics } from './anti-entropy-metrics';
import { runPass, type PassTotals, type RingViews } from './anti-entropy-pass';
import type { AntiEntropyStorage } from './range-repair';

/** How often a coordinator without the lease tries to claim it. */
export const CLAIM_POLL_MS_DEFAULT = 5_000;

/** The part of the metadata store the runner uses (docs/architecture.md#metadata). */
export type AntiEntropyStore = Pick<
  MetadataStore,
  | 'listTenants'
  | 'claimAntiEntropyLease'
  | 'renewAntiEntropyLease'
  | 'releaseAntiEntropyLease'
  | 'recordAntiEntropyPass'
>;

export interface AntiEntropyRunnerDeps {
  readonly store: AntiEntropyStore;
  readonly storage: AntiEntropyStorage;
  readonly views: RingViews;
  readonly metrics: AntiEntropyMetrics;
  readonly logger: Logger;
  readonly inFlight?: RequestsInFlight;
  /** False while this coordinator must not place requests (its registry lease lapsed). */
  readonly canServe?: () => boolean;
}

export interface AntiEntropyRunnerOptions {
  readonly instanceId: string;
  readonly leaseMs: number;
  /** Pause between the end of one pass and the start of the next. */
  readonly passIntervalMs: number;
  readonly rangesInFlight: number;
  /** Default CLAIM_POLL_MS_DEFAULT. */
  readonly claimPollMs?: number;
}

export class AntiEntropyRunner {
  private running: Promise<void> | undefined;
  private stopped = false;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly deps: AntiEntropyRunnerDeps,
    private readonly options: AntiEntropyRunnerOptions,
  ) {}

  start(): void {
    this.running ??= this.loop().catch((error: Error) =>
      this.deps.logger.error({ err: error.message }, 'anti-entropy runner stopped on a bug'),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let epoch: number | null = null;
      try {
        epoch = await this.deps.store.claimAntiEntropyLease(
          this.options.instanceId,
          this.options.leaseMs,
        );
      } catch (error) {
        this.deps.logger.warn({ err: (error as Error).message }, 'anti-entropy lease claim failed');
      }
      if (epoch === null) {
        await this.pause(this.options.claimPollMs ?? CLAIM_POLL_MS_DEFAULT);
        continue;
      }
      await this.runWhileHeld(epoch);
    }
  }

  /** Runs passes until the lease is lost or the runner stops; releases the lease on a stop. */
  private async runWhileHeld(epoch: number): Promise<void> {
    const log = this.deps.logger.child({ antiEntropyEpoch: epoch });
    log.info('anti-entropy lease taken');
    let deposed = false;
    const renewal = setInterval(() => {
      this.deps.store
        .renewAntiEntropyLease(this.options.instanceId, epoch, this.options.leaseMs)
        .catch((error: Error) => {
          deposed = true;
          log.warn({ err: error.message }, 'anti-entropy lease lost; stopping passes');
        });
    }, this.options.leaseMs / 3);
    renewal.unref();
    const halted = () => deposed || this.stopped;
    try {
      while (!halted()) {
        if (this.deps.canServe?.() !== false) await this.pass(epoch, halted, log);
        await this.pause(this.options.passIntervalMs);
      }
    } finally {
      clearInterval(renewal);
    }
    if (this.stopped && !deposed) {
      await this.deps.store
        .releaseAntiEntropyLease(this.options.instanceId, epoch)
        .catch((error: Error) => log.warn({ err: error.message }, 'lease release failed'));
    }
  }

  private async pass(epoch: number, halted: () => boolean, log: Logger): Promise<void> {
    const passId = randomUUID();
    const startedAtUnixMs = Date.now();
    const started = performance.now();
    log.info({ passId }, 'anti-entropy pass started');
    const metrics = this.deps.metrics;
    let totals: PassTotals;
    try {
      totals = await runPass(
        {
          storage: this.deps.storage,
          views: this.deps.views,
          listTenants: () => this.deps.store.listTenants(),
          logger: log,
          ...(this.deps.inFlight && { inFlight: this.deps.inFlight }),
          onRange: (outcome) => {
            if (outcome.failures.length === 0) metrics.rangesCompared.inc();
            metrics.bucketsDiffering.inc(outcome.bucketsDiffering);
            for (const keys of outcome.repairedInto.values()) metrics.keysRepaired.inc(keys);
          },
        },
        {
          epoch,
          rangesInFlight: this.options.rangesInFlight,
          halted,
        },
      );
    } catch (error) {
      log.warn({ passId, err: (error as Error).message }, 'anti-entropy pass failed');
      return;
    } finally {
      metrics.passDurationSeconds.observe((performance.now() - started) / 1_000);
    }
    const completedAtUnixMs = Math.max(Date.now(), startedAtUnixMs);
    const summary = {
      passId,
      ringVersion: totals.ringVersion,
      rangesCompared: totals.rangesCompared,
      rangesIncomplete: totals.rangesIncomplete,
      bucketsDiffering: totals.bucketsDiffering,
      keysRepaired: totals.keysRepaired,
      durationMs: completedAtUnixMs - startedAtUnixMs,
    };
    // Only a pass that compared every range on every owner counts as completed: later slices
    // gate tombstone purges on it.
    if (totals.rangesIncomplete > 0 || halted()) {
      log.warn(summary, 'anti-entropy pass ended incomplete');
      return;
    }
    try {
      await this.deps.store.recordAntiEntropyPass({
        passId,
        runnerInstanceId: this.options.instanceId,
        epoch,
        ringVersion: totals.ringVersion,
        startedAtUnixMs,
        completedAtUnixMs,
        rangesCompared: totals.rangesCompared,
        bucketsDiffering: totals.bucketsDiffering,
        keysRepaired: totals.keysRepaired,
        nodes: [...totals.repairedInto].map(([nodeId, keysRepaired]) => ({
          nodeId,
          keysRepaired,
        })),
      });
    } catch (error) {
      log.warn({ passId, err: (error as Error).message }, 'anti-entropy pass not recorded');
      return;
    }
    metrics.lastCompletedPassSeconds.set(completedAtUnixMs / 1_000);
    log.info(summary, 'anti-entropy pass completed');
  }

  /** Waits `ms`, or less if the runner stops meanwhile. */
  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
