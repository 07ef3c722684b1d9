// This coordinator's hold on its id in the coordinator registry
// (docs/architecture.md#membership-metadata).
//
// Laws:
// - A duplicate id never starts: start() claims the id, waits at most one lease plus a margin
//   for a previous holder's lease to lapse, and otherwise throws CoordinatorIdInUseError.
// - `valid` is judged by this process's monotonic clock, never the wall clock: the lease counts
//   from the moment the last successful renewal was SENT, minus a margin for clock-rate
//   differences, so this process stops trusting its lease before the database's clock lets
//   another instance take the id.
// - Dots stay unique across restarts: at start the HLC observes the stored high-water mark, and
//   every renewal raises that mark past any dot this process can issue before the lease lapses
//   (its clock or its wall time, whichever is ahead, plus one lease of wall time).
import { randomUUID } from 'node:crypto';
import type { Logger } from '@pairdb/service-runtime';
import { COUNTER_MAX, HLC_LOGICAL_BITS } from '@pairdb/vectorclock';
import {
  CoordinatorIdInUseError,
  CoordinatorLeaseLostError,
  type MetadataStore,
} from '../metadata';

/** Renewals per lease: two may fail before the lease lapses. */
export const HEARTBEATS_PER_LEASE = 3;
/** The part of a lease kept as safety margin (1/5): process and database clock rates differ. */
export const LEASE_MARGIN_DIVISOR = 5;
/** Extra wait after a holder's lease should have lapsed, before claiming again. */
const CLAIM_RETRY_SLACK_MS = 50;

export type LeaseStore = Pick<
  MetadataStore,
  'claimCoordinatorId' | 'renewCoordinatorLease' | 'releaseCoordinatorId'
>;

/** The part of the HybridLogicalClock the lease reads and moves. */
export interface LeaseClock {
  readonly current: bigint;
  observe(counter: bigint): void;
}

export interface CoordinatorLeaseOptions {
  store: LeaseStore;
  coordinatorId: string;
  /** Where this coordinator serves, for operators; null when unknown. */
  address: string | null;
  /** Config membership.lease_ms. */
  leaseMs: number;
  clock: LeaseClock;
  /** The newest ring version this coordinator has taken. */
  takenRingVersion: () => number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Default: a random UUID. */
  instanceId?: string;
  /** Monotonic milliseconds. Default: performance.now. */
  monotonicMs?: () => number;
  /** Wall-clock milliseconds since the epoch. Default: Date.now. */
  wallMs?: () => number;
  /** Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
}

type LeaseState = 'new' | 'held' | 'lost' | 'stopped';

export class CoordinatorLease {
  readonly instanceId: string;
  readonly marginMs: number;
  private state: LeaseState = 'new';
  /** Monotonic time until which the lease is trusted. */
  private validUntilMs = Number.NEGATIVE_INFINITY;
  private lapseReported = false;
  private recordedRingVersion = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Renewals run one at a time, in call order. */
  private renewals: Promise<void> = Promise.resolve();
  private readonly monotonicMs: () => number;
  private readonly wallMs: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: CoordinatorLeaseOptions) {
    this.instanceId = options.instanceId ?? randomUUID();
    this.marginMs = Math.floor(options.leaseMs / LEASE_MARGIN_DIVISOR);
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
    this.wallMs = options.wallMs ?? Date.now;
    this.sleep =
      options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()));
  }

  get coordinatorId(): string {
    return this.options.coordinatorId;
  }

  /** Whether data requests may be served: the lease is held and has not lapsed. */
  get valid(): boolean {
    if (this.state !== 'held') return false;
    if (this.monotonicMs() < this.validUntilMs) return true;
    this.reportLapse();
    return false;
  }

  private reportLapse(): void {
    if (!this.lapseReported) {
      this.lapseReported = true;
      this.options.logger.warn(
        { coordinatorId: this.coordinatorId, instanceId: this.instanceId },
        'coordinator lease lapsed: data requests stop until a renewal succeeds',
      );
    }
  }

  /** Claims the id (waiting out a previous holder's lease), then starts the heartbeat. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`coordinator lease already ${this.state}`);
    const { leaseMs, logger } = this.options;
    const deadline = this.monotonicMs() + leaseMs + this.marginMs;
    for (;;) {
      const sentAtMs = this.monotonicMs();
      try {
        const { hlcHighWater } = await this.options.store.claimCoordinatorId({
          coordinatorId: this.coordinatorId,
          instanceId: this.instanceId,
          address: this.options.address,
          leaseMs,
        });
        // 0 for an id never used before: nothing to stay above.
        if (hlcHighWater > 0n) this.options.clock.observe(hlcHighWater);
        this.validUntilMs = sentAtMs + leaseMs - this.marginMs;
        this.state = 'held';
        break;
      } catch (error) {
        const waitMs = deadline - this.monotonicMs();
        if (!(error instanceof CoordinatorIdInUseError) || waitMs <= 0) throw error;
        logger.warn(
          {
            coordinatorId: this.coordinatorId,
            holder: error.holderInstanceId,
            leaseRemainingMs: error.leaseRemainingMs,
          },
          'coordinator id held by another instance; waiting for its lease to lapse',
        );
        await this.sleep(Math.min(error.leaseRemainingMs + CLAIM_RETRY_SLACK_MS, waitMs));
      }
    }
    this.heartbeat = setInterval(
      () => {
        if (this.state === 'held' && this.monotonicMs() >= this.validUntilMs) this.reportLapse();
        // A failure is logged by renew and leaves the lease to lapse; the next beat tries again.
        this.renew().catch(() => undefined);
      },
      Math.floor(leaseMs / HEARTBEATS_PER_LEASE),
    );
    this.heartbeat.unref();
    logger.info(
      { coordinatorId: this.coordinatorId, instanceId: this.instanceId, leaseMs },
      'coordinator id claimed',
    );
  }

  /** This coordinator has taken `ringVersion`: renew at once, so a barrier sees it now. */
  recordTaken(ringVersion: number): Promise<void> {
    this.recordedRingVersion = Math.max(this.recordedRingVersion, ringVersion);
    return this.renew();
  }

  /** Renews the lease now; rejects with the store's error (also logged). */
  renew(): Promise<void> {
    const renewal = this.renewals.then(() => this.renewOnce());
    this.renewals = renewal.catch(() => undefined);
    return renewal;
  }

  /** Stops the heartbeat and lapses the lease at once, so a successor need not wait. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const held = this.state === 'held';
    this.state = 'stopped';
    clearInterval(this.heartbeat);
    await this.renewals;
    if (!held) return;
    await this.options.store
      .releaseCoordinatorId(this.coordinatorId, this.instanceId)
      .catch((error: Error) =>
        this.options.logger.warn(
          { coordinatorId: this.coordinatorId, err: error.message },
          'could not release the coordinator id; it is free once its lease lapses',
        ),
      );
  }

  private async renewOnce(): Promise<void> {
    if (this.state !== 'held') return;
    const { leaseMs, logger } = this.options;
    const sentAtMs = this.monotonicMs();
    try {
      await this.options.store.renewCoordinatorLease({
        coordinatorId: this.coordinatorId,
        instanceId: this.instanceId,
        leaseMs,
        takenRingVersion: Math.max(this.options.takenRingVersion(), this.recordedRingVersion),
        hlcHighWater: this.highWater(),
      });
    } catch (error) {
      if (error instanceof CoordinatorLeaseLostError) {
        this.state = 'lost';
        clearInterval(this.heartbeat);
        logger.error(
          { coordinatorId: this.coordinatorId, err: error.message },
          'coordinator id taken over by another instance: this process serves no data requests',
        );
      } else {
        logger.warn(
          { coordinatorId: this.coordinatorId, err: (error as Error).message },
          'coordinator lease renewal failed',
        );
      }
      throw error;
    }
    if (this.state !== 'held') return;
    this.validUntilMs = Math.max(this.validUntilMs, sentAtMs + leaseMs - this.marginMs);
    if (this.lapseReported) {
      this.lapseReported = false;
      logger.info({ coordinatorId: this.coordinatorId }, 'coordinator lease renewed after a lapse');
    }
  }

  /** Above every dot this process can issue before its lease lapses. */
  private highWater(): bigint {
    const wall = BigInt(Math.floor(this.wallMs())) << HLC_LOGICAL_BITS;
    const current = this.options.clock.current;
    const mark =
      (current > wall ? current : wall) + (BigInt(this.options.leaseMs) << HLC_LOGICAL_BITS);
    return mark > COUNTER_MAX ? COUNTER_MAX : mark;
  }
}
