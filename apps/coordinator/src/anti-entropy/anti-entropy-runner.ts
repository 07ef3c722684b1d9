// The anti-entropy runner (docs/architecture.md#anti-entropy). Every coordinator runs one; the
// one holding the anti-entropy lease (metadata store, database clock, renewed every third of
// it) runs passes with `passIntervalMs` between them; the others poll for the lease. Every claim
// increments the lease's epoch, which the runner's requests carry as their fence
// (ANTI_ENTROPY_FENCE_ID): once a takeover's requests reached a node, the node refuses the
// deposed runner's. A runner that fails to renew stops starting ranges at once.
//
// Repairs: StartRepair on any coordinator records a request in the metadata store. The lease
// holder learns of it at once when it is local (wake()) and within `repairPollMs` otherwise, ends
// its pause, or halts a scheduled pass it is running, and starts the requested pass. Every pass
// records its progress as it goes and how it ended.
import { randomUUID } from 'node:crypto';
import type { Logger } from '@pairdb/service-runtime';
import type { AntiEntropyRepair, MetadataStore, RepairProgress } from '../metadata';
import type { RequestsInFlight } from '../routing/requests-in-flight';
import type { AntiEntropyMetrics } from './anti-entropy-metrics';
import { runPass, type PassTotals, type RingViews } from './anti-entropy-pass';
import { REAL_CLOCK, type PassClock } from './pacing';
import type { AntiEntropyStorage, RangeOutcome } from './range-repair';
import { RepairProgressRecorder } from './repair-progress';

/** How often a coordinator without the lease tries to claim it. */
export const CLAIM_POLL_MS_DEFAULT = 5_000;
/** How often the lease holder looks for a repair asked for on another coordinator. */
export const REPAIR_POLL_MS_DEFAULT = 1_000;

/** The part of the metadata store the runner uses (docs/architecture.md#metadata). */
export type AntiEntropyStore = Pick<
  MetadataStore,
  | 'listTenants'
  | 'claimAntiEntropyLease'
  | 'renewAntiEntropyLease'
  | 'releaseAntiEntropyLease'
  | 'recordAntiEntropyPass'
  | 'hasPendingRepair'
  | 'startRepairPass'
  | 'recordRepairProgress'
  | 'finishRepair'
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
  /** The pacing clock; default real time, its rests cut short by stop(). */
  readonly clock?: PassClock;
}

export interface AntiEntropyRunnerOptions {
  readonly instanceId: string;
  readonly leaseMs: number;
  /** Pause between the end of one pass and the start of the next. */
  readonly passIntervalMs: number;
  readonly rangesInFlight: number;
  /** Share of each lane's time spent comparing (pacing.ts). */
  readonly dutyCycle: number;
  /** Default CLAIM_POLL_MS_DEFAULT. */
  readonly claimPollMs?: number;
  /** Default REPAIR_POLL_MS_DEFAULT. */
  readonly repairPollMs?: number;
}

interface Sleeper {
  readonly done: () => void;
  /** Ended early by a repair request, not only by stop(). */
  readonly endsOnRequest: boolean;
}

export class AntiEntropyRunner {
  private running: Promise<void> | undefined;
  private stopped = false;
  /** A repair request waits: set by wake() and by the poll, cleared when a pass starts. */
  private requestPending = false;
  private readonly sleepers = new Set<Sleeper>();

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
    for (const sleeper of this.sleepers) sleeper.done();
    await this.running;
  }

  /** A repair was asked for: if this runner holds the lease, its next pass starts now. */
  wake(): void {
    this.requestPending = true;
    for (const sleeper of this.sleepers) if (sleeper.endsOnRequest) sleeper.done();
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
    const poll = setInterval(() => {
      this.deps.store.hasPendingRepair().then(
        (pending) => pending && this.wake(),
        (error: Error) => log.warn({ err: error.message }, 'repair request poll failed'),
      );
    }, this.options.repairPollMs ?? REPAIR_POLL_MS_DEFAULT);
    poll.unref();
    const halted = () => deposed || this.stopped;
    try {
      while (!halted()) {
        const serving = this.deps.canServe?.() !== false;
        if (serving) await this.pass(epoch, halted, log);
        if (!serving || !this.requestPending) await this.pause(this.options.passIntervalMs, true);
      }
    } finally {
      clearInterval(renewal);
      clearInterval(poll);
    }
    if (this.stopped && !deposed) {
      await this.deps.store
        .releaseAntiEntropyLease(this.options.instanceId, epoch)
        .catch((error: Error) => log.warn({ err: error.message }, 'lease release failed'));
    }
  }

  private async pass(epoch: number, halted: () => boolean, log: Logger): Promise<void> {
    this.requestPending = false;
    let repair: AntiEntropyRepair;
    try {
      repair = await this.deps.store.startRepairPass(this.options.instanceId, epoch, randomUUID());
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'anti-entropy pass not started');
      return;
    }
    const passId = repair.repairId;
    // A scheduled pass gives way to a requested one; a requested pass runs to its end.
    const preempted = () => !repair.requested && this.requestPending;
    const passHalted = () => halted() || preempted();
    const startedAtUnixMs = Date.now();
    const started = performance.now();
    log.info(
      { passId, tenantId: repair.tenantId, requested: repair.requested },
      'anti-entropy pass started',
    );
    const recorder = new RepairProgressRecorder(
      (progress) => this.deps.store.recordRepairProgress(passId, epoch, progress),
      () => performance.now(),
      (error) => log.warn({ passId, err: error.message }, 'anti-entropy progress not recorded'),
    );
    const failedOwners = new Set<string>();
    let totals: PassTotals;
    try {
      totals = await runPass(
        {
          storage: this.deps.storage,
          views: this.deps.views,
          listTenants: () => this.deps.store.listTenants(),
          logger: log,
          ...(this.deps.inFlight && { inFlight: this.deps.inFlight }),
          clock: this.deps.clock ?? {
            now: REAL_CLOCK.now,
            sleep: (ms) => this.pause(ms, !repair.requested),
          },
          onPlanned: (planned) => recorder.update(progressOf(planned)),
          onRange: (outcome, sofar) => {
            this.count(outcome);
            for (const failure of outcome.failures) failedOwners.add(failure.nodeId);
            recorder.update(progressOf(sofar));
          },
        },
        {
          epoch,
          rangesInFlight: this.options.rangesInFlight,
          dutyCycle: this.options.dutyCycle,
          tenantId: repair.tenantId,
          halted: passHalted,
        },
      );
    } catch (error) {
      log.warn({ passId, err: (error as Error).message }, 'anti-entropy pass failed');
      await recorder.settle();
      await this.finish(
        passId,
        epoch,
        'incomplete',
        emptyProgress(),
        (error as Error).message,
        log,
      );
      return;
    } finally {
      this.deps.metrics.passDurationSeconds.observe((performance.now() - started) / 1_000);
    }
    await recorder.settle();
    const completedAtUnixMs = Math.max(Date.now(), startedAtUnixMs);
    const summary = {
      passId,
      tenantId: repair.tenantId,
      ringVersion: totals.ringVersion,
      rangesCompared: totals.rangesCompared,
      rangesIncomplete: totals.rangesIncomplete,
      bucketsDiffering: totals.bucketsDiffering,
      keysRepaired: totals.keysRepaired,
      durationMs: completedAtUnixMs - startedAtUnixMs,
    };
    // Only a pass that compared every range on every owner counts as completed: later slices
    // gate tombstone purges on it.
    if (totals.rangesIncomplete > 0 || passHalted()) {
      const why = preempted()
        ? 'gave way to a requested repair'
        : halted()
          ? 'the runner stopped or lost the anti-entropy lease'
          : `${totals.rangesIncomplete} ranges not compared on every owner ` +
            `(failed: ${[...failedOwners].sort().join(', ') || 'none'})`;
      log.warn({ ...summary, why }, 'anti-entropy pass ended incomplete');
      await this.finish(passId, epoch, 'incomplete', progressOf(totals), why, log);
      return;
    }
    try {
      await this.deps.store.recordAntiEntropyPass({
        passId,
        runnerInstanceId: this.options.instanceId,
        epoch,
        ringVersion: totals.ringVersion,
        tenantId: repair.tenantId,
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
    await this.finish(passId, epoch, 'completed', progressOf(totals), null, log);
    this.deps.metrics.lastCompletedPassSeconds.set(completedAtUnixMs / 1_000);
    log.info(summary, 'anti-entropy pass completed');
  }

  private count(outcome: RangeOutcome): void {
    const metrics = this.deps.metrics;
    if (outcome.failures.length === 0) metrics.rangesCompared.inc();
    metrics.bucketsDiffering.inc(outcome.bucketsDiffering);
    for (const keys of outcome.repairedInto.values()) metrics.keysRepaired.inc(keys);
  }

  private async finish(
    passId: string,
    epoch: number,
    outcome: 'completed' | 'incomplete',
    progress: RepairProgress,
    message: string | null,
    log: Logger,
  ): Promise<void> {
    await this.deps.store
      .finishRepair(passId, epoch, outcome, progress, message)
      .catch((error: Error) =>
        log.warn({ passId, err: error.message }, 'anti-entropy pass end not recorded'),
      );
  }

  /** Waits `ms`, or less if the runner stops meanwhile (or, if `endsOnRequest`, a repair is
   * asked for). */
  private pause(ms: number, endsOnRequest = false): Promise<void> {
    if (this.stopped || (endsOnRequest && this.requestPending)) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper: Sleeper = { done, endsOnRequest };
      const timer = setTimeout(done, ms);
      const sleepers = this.sleepers;
      sleepers.add(sleeper);
      function done(): void {
        clearTimeout(timer);
        sleepers.delete(sleeper);
        resolve();
      }
    });
  }
}

function progressOf(totals: Readonly<PassTotals>): RepairProgress {
  const rangesDone = totals.rangesCompared + totals.rangesIncomplete;
  return {
    rangesDone,
    rangesTotal: Math.max(totals.rangesTotal, rangesDone),
    keysRepaired: totals.keysRepaired,
    bucketsDiffering: totals.bucketsDiffering,
  };
}

function emptyProgress(): RepairProgress {
  return { rangesDone: 0, rangesTotal: 0, keysRepaired: 0, bucketsDiffering: 0 };
}
