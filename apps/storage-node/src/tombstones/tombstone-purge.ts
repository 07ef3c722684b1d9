// Tombstone purge (docs/architecture.md#tombstone-purge): a sweep over the node's tombstone
// receipts that purges a key's tombstones once both hold:
// - they are at least `graceMs` old by this node's clock (the receipt, never the dot), and
// - an anti-entropy pass compared the key's range on every owner after they were stored here
//   (RepairHorizons, under a ring version the node still accepts),
// and never while a migration runs (its layout says so: tombstones are held then).
// A purge turns the tombstones into engine deletes dated at their receipt, which compaction
// drops at the bottom level (engine/compaction/retention.ts).
import type { Logger } from '@pairdb/service-runtime';
import type { Engine } from '../engine';
import {
  dataKeyOfReceipt,
  decodeDataKey,
  decodeReceipt,
  RECEIPT_KEYSPACE_END,
  RECEIPT_KEYSPACE_START,
} from '../versions/engine-keys';
import type { VersionStore } from '../versions/version-store';
import type { RepairHorizons } from './repair-horizons';

/**
 * How long after a new horizon the sweep runs: a pass marks its ranges one after another, and
 * one sweep after a burst of marks covers them all.
 */
export const WAKE_DELAY_MS = 1_000;

/** Receipts read per engine iteration: the sweep never holds an iterator across a purge. */
const RECEIPTS_PER_PAGE = 1_024;

export interface TombstonePurgeOptions {
  readonly engine: Engine;
  readonly versions: Pick<VersionStore, 'purgeTombstone'>;
  readonly horizons: RepairHorizons;
  readonly graceMs: number;
  /** The node's minimum accepted ring version (NodeFence). */
  readonly minRingVersion: () => bigint;
  /** True while no tombstone may be purged. */
  readonly held: () => boolean;
  /** Pause between sweeps. */
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly onPurged?: (count: number) => void;
}

export class TombstonePurge {
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires. */
  private dueAtMs = Number.POSITIVE_INFINITY;
  private sweeping: Promise<number> | undefined;
  private started = false;
  private stopped = false;

  constructor(private readonly options: TombstonePurgeOptions) {}

  start(): void {
    this.started = true;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.sweeping;
  }

  /** Sweeps within WAKE_DELAY_MS: a new horizon may have made tombstones purgeable. */
  wake(): void {
    if (!this.started || this.stopped) return;
    this.scheduleIn(WAKE_DELAY_MS);
  }

  /** One sweep over every receipt; resolves with the keys purged. */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepAll().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private schedule(): void {
    this.scheduleIn(this.options.intervalMs);
  }

  /** Makes the next sweep due in `delayMs` at the latest (an earlier one stays). */
  private scheduleIn(delayMs: number): void {
    if (this.stopped) return;
    const dueAtMs = Date.now() + delayMs;
    if (this.timer && this.dueAtMs <= dueAtMs) return;
    if (this.timer) clearTimeout(this.timer);
    this.dueAtMs = dueAtMs;
    this.timer = setTimeout(() => this.runScheduled(), delayMs);
  }

  private runScheduled(): void {
    this.timer = undefined;
    this.dueAtMs = Number.POSITIVE_INFINITY;
    this.sweep()
      .catch((error: Error) =>
        this.options.logger.warn({ err: error.message }, 'tombstone purge sweep failed'),
      )
      .finally(() => this.schedule());
  }

  private async sweepAll(): Promise<number> {
    let purged = 0;
    let after: Buffer | undefined;
    for (;;) {
      if (this.stopped || this.options.held()) break;
      const page = this.purgeable(after);
      for (const candidate of page.candidates) {
        if (this.stopped || this.options.held()) break;
        if (await this.purgeOne(candidate)) purged++;
      }
      if (page.last === undefined) break;
      after = page.last;
    }
    if (purged > 0) {
      this.options.onPurged?.(purged);
      this.options.logger.info({ purged }, 'tombstones purged after repair');
    }
    return purged;
  }

  /**
   * Purges one key; a key that cannot be purged (its stored set is damaged, the engine refuses
   * the write) is logged and left for the next sweep, so it never holds up the keys after it.
   */
  private async purgeOne(candidate: { dataKey: Buffer; receivedAtMs: number }): Promise<boolean> {
    try {
      return await this.options.versions.purgeTombstone(candidate.dataKey, candidate.receivedAtMs);
    } catch (error) {
      this.options.logger.warn(
        { engineKey: candidate.dataKey.toString('hex'), err: (error as Error).message },
        'tombstone purge of a key failed; retried on the next sweep',
      );
      return false;
    }
  }

  /** One page of receipts after `after`: those whose tombstones may be purged now. */
  private purgeable(after: Buffer | undefined): {
    candidates: Array<{ dataKey: Buffer; receivedAtMs: number }>;
    last: Buffer | undefined;
  } {
    const now = (this.options.now ?? Date.now)();
    const minRingVersion = this.options.minRingVersion();
    const candidates: Array<{ dataKey: Buffer; receivedAtMs: number }> = [];
    let last: Buffer | undefined;
    let read = 0;
    const iterator = this.options.engine.iterate({
      ...(after ? { gt: after } : { gte: RECEIPT_KEYSPACE_START }),
      lt: RECEIPT_KEYSPACE_END,
      limit: RECEIPTS_PER_PAGE,
    });
    for (const [key, value] of iterator) {
      read++;
      last = Buffer.from(key);
      const receivedAtMs = decodeReceipt(value);
      if (receivedAtMs === undefined || now - receivedAtMs < this.options.graceMs) continue;
      const dataKey = dataKeyOfReceipt(key);
      const { tenantId, token } = decodeDataKey(dataKey);
      const verified = this.options.horizons.verifiedBefore(tenantId, token, minRingVersion);
      if (verified !== undefined && receivedAtMs < verified) {
        candidates.push({ dataKey, receivedAtMs });
      }
    }
    return { candidates, last: read === RECEIPTS_PER_PAGE ? last : undefined };
  }
}
