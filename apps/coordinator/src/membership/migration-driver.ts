// The migration driver (docs/architecture.md#membership-and-migrations). Every coordinator runs
// one; at most one drives a given migration, holding a lease with a driver epoch in the metadata
// store (rule 6). Each step is idempotent, so a driver that takes over (a restarted coordinator or
// another one) resumes from the migration's phase and its copy checkpoints:
//
//   for the current phase's ring version v: wait until every live coordinator has taken v
//   (barrier), raise every storage node's minimum ring version to v and hand it v's layout
//   (fencing), then do the phase's work and commit the next phase as version v + 1 (conditional
//   on migration, epoch and phase). Once completed or rolled back, the final version's layout
//   goes to every member too, after its barrier, so nodes learn that nothing moves any more.
//
//   dual_write -> data_copy: nothing to do (the barrier proves every write now reaches `new`).
//   data_copy  -> cutover:   copy each moving range from its sources, then verify it.
//   cutover    -> cleanup:   nothing (reads have moved to `new`).
//   cleanup    -> completed: nodes that lost a range drop it.
//
// Before cutover a range that cannot be copied or verified rolls the migration back (rule 8),
// as a step of its own so that a takeover finishes it:
//
//   data_copy    -> rolling_back: reads and writes leave `new` (RingView).
//   rolling_back -> rolled_back:  every destination drops the ranges it received.
import type { RingLayout } from '@pairdb/hashring';
import type { Logger } from '@pairdb/service-runtime';
import { descends, readContext, type VersionSet } from '@pairdb/vectorclock';
import {
  SCAN_PAGE_ENTRIES,
  type DriverFence,
  type ScannedEntry,
  type StorageAdminClient,
} from '../grpc/storage-admin-client';
import type { CopyCheckpoint, MetadataStore, Migration, MigrationPhase } from '../metadata';
import { isUnreachableFailure, type ReplicaFailure } from '../replicas/replica-failure';
import type { ReplicaNode } from '../replicas/replica-transport';
import { RingView } from '../routing/ring-view';
import { ringLayoutOf } from './ring-layout-of';
import {
  copyKey,
  planMigration,
  type CopyTask,
  type DropTask,
  type MigrationPlan,
} from './migration-plan';
import type { MigrationMetrics } from './migration-metrics';
import { RangeAttempts } from './range-attempts';

/** How often an idle driver looks for a migration to drive or take over. */
export const DRIVER_POLL_MS_DEFAULT = 1_000;
/** The driver lease; a driver frozen longer than this loses the migration to another. */
export const DRIVER_LEASE_MS_DEFAULT = 10_000;
/** Pause before retrying a step that failed for a reason that may pass (a node down). */
export const STEP_RETRY_MS = 1_000;
/** Tries per node to hand over the layout of a finished migration's final version. */
export const FINAL_LAYOUT_ATTEMPTS = 3;
/**
 * Moving ranges copied (and then verified) at once. A change moves hundreds of small ranges, so
 * one at a time leaves every node waiting on round trips; more than a few takes the CPU the
 * foreground needs (docs/benchmarks.md#migration-a-node-joins-under-load).
 */
export const COPY_TASKS_IN_FLIGHT = 8;
/** Digest requests in flight while counting the keys to copy. */
const KEY_COUNTS_IN_FLIGHT = 8;
/** Ranges dropped at once in cleanup. */
const DROPS_IN_FLIGHT = 8;
/** Verification rounds before a range that still differs fails the migration. */
export const VERIFY_ROUNDS_MAX = 3;
/** How often the barrier looks at the registry. */
const BARRIER_POLL_MS = 100;

/** The part of the metadata store the driver uses (docs/architecture.md#metadata). */
export type MigrationStore = Pick<
  MetadataStore,
  | 'getRing'
  | 'listTenants'
  | 'getUnfinishedMigration'
  | 'claimMigrationDriver'
  | 'renewMigrationDriver'
  | 'advanceMigration'
  | 'recordMigrationProgress'
  | 'upsertCopyCheckpoint'
  | 'listCopyCheckpoints'
  | 'listLiveCoordinators'
>;

/** The storage-node calls the driver makes (docs/architecture.md#membership-and-migrations). */
export type MigrationStorage = Pick<
  StorageAdminClient,
  'scan' | 'digest' | 'repairBatch' | 'raiseRingVersion' | 'dropRange'
>;

export interface MigrationDriverOptions {
  readonly instanceId: string;
  readonly pollMs?: number;
  readonly leaseMs?: number;
  /** Pause before retrying a step that failed; default STEP_RETRY_MS. */
  readonly stepRetryMs?: number;
}

/** This driver's epoch is no longer the migration's: another driver took over. */
class DriverDeposedError extends Error {}

export class MigrationDriver {
  private timer: NodeJS.Timeout | undefined;
  private driving: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: MigrationStore,
    private readonly storage: MigrationStorage,
    private readonly metrics: MigrationMetrics,
    private readonly logger: Logger,
    private readonly options: MigrationDriverOptions,
  ) {}

  /** Looks for a migration now, e.g. right after this coordinator admitted one. */
  wake(): void {
    this.poll();
  }

  start(): void {
    this.timer = setInterval(() => this.poll(), this.options.pollMs ?? DRIVER_POLL_MS_DEFAULT);
    this.timer.unref();
    this.poll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.driving;
  }

  private poll(): void {
    if (this.driving || this.stopped) return;
    this.driving = this.driveNext()
      .catch((error: Error) => this.logger.warn({ err: error.message }, 'migration driver failed'))
      .finally(() => (this.driving = undefined));
  }

  private async driveNext(): Promise<void> {
    const migration = await this.store.getUnfinishedMigration();
    if (!migration) return;
    const leaseMs = this.options.leaseMs ?? DRIVER_LEASE_MS_DEFAULT;
    const epoch = await this.store.claimMigrationDriver(
      migration.migrationId,
      this.options.instanceId,
      leaseMs,
    );
    if (epoch === null) return;
    const log = this.logger.child({ migrationId: migration.migrationId, epoch });
    log.info({ type: migration.type, phase: migration.phase }, 'driving migration');
    let deposed = false;
    const renewal = setInterval(() => {
      this.store
        .renewMigrationDriver(migration.migrationId, epoch, leaseMs)
        .catch((error: Error) => {
          deposed = true;
          log.warn({ err: error.message }, 'driver lease lost; stopping');
        });
    }, leaseMs / 3);
    renewal.unref();
    try {
      const parts = {
        store: this.store,
        storage: this.storage,
        metrics: this.metrics,
        stepRetryMs: this.options.stepRetryMs ?? STEP_RETRY_MS,
      };
      const halts = { deposed: () => deposed, stopped: () => this.stopped };
      await new MigrationRun(parts, migration, epoch, log, halts).run();
    } catch (error) {
      if (!(error instanceof DriverDeposedError)) throw error;
    } finally {
      clearInterval(renewal);
    }
  }
}

/** One driver's run of one migration from its current phase to completion or rollback. */
class MigrationRun {
  private readonly store: MigrationStore;
  private readonly storage: MigrationStorage;
  private readonly metrics: MigrationMetrics;
  private readonly stepRetryMs: number;
  /** Ranges a forced removal could not rebuild (no surviving replica), for the status. */
  private readonly lost: string[] = [];
  /** Keys sent to destinations and not yet covered by a written checkpoint, every task. */
  private uncheckpointedKeys = 0;
  /** The progress write running or queued; a queued one writes the state as of its start. */
  private progressWrite: Promise<void> = Promise.resolve();
  private progressWriteQueued = false;
  /** Resolves once the copy's total keys are counted. */
  private keysCounted: Promise<void> = Promise.resolve();
  private progress = {
    keysMigrated: 0,
    bytesMigrated: 0,
    rangesDone: 0,
    rangesTotal: 0,
    totalKeys: 0,
  };

  constructor(
    parts: {
      store: MigrationStore;
      storage: MigrationStorage;
      metrics: MigrationMetrics;
      stepRetryMs: number;
    },
    private migration: Migration,
    private readonly epoch: number,
    private readonly log: Logger,
    private readonly halts: { deposed(): boolean; stopped(): boolean },
  ) {
    ({
      store: this.store,
      storage: this.storage,
      metrics: this.metrics,
      stepRetryMs: this.stepRetryMs,
    } = parts);
    this.progress.keysMigrated = migration.keysMigrated;
    this.progress.bytesMigrated = migration.bytesMigrated;
  }

  async run(): Promise<void> {
    while (this.migration.status === 'in_progress') {
      const { view, layout } = await this.view();
      this.metrics.phase.set({ migration_id: this.migration.migrationId }, phaseNumber(view));
      await this.barrier(this.migration.ringVersion);
      await this.raiseFences(view, layout);
      const phase = this.migration.phase;
      switch (phase) {
        case 'dual_write':
          await this.advance(phase, { phase: 'data_copy' });
          break;
        case 'data_copy': {
          const failure = await this.copyAndVerify(view);
          if (failure) {
            this.log.error({ reason: failure }, 'migration cannot finish; rolling back');
            await this.advance(phase, { phase: 'rolling_back', errorMessage: failure });
          } else {
            await this.advance(phase, {
              phase: 'cutover',
              ...(this.lost.length > 0 && { lostRanges: this.lost.join('; ') }),
            });
          }
          break;
        }
        case 'cutover':
          await this.advance(phase, { phase: 'cleanup' });
          break;
        case 'cleanup':
          await this.cleanUp(view);
          await this.advance(phase, { status: 'completed' });
          break;
        case 'rolling_back':
          await this.rollBack(view);
          await this.advance(phase, { status: 'rolled_back' });
          break;
      }
    }
    this.log.info({ status: this.migration.status }, 'migration finished');
    await this.announceFinished();
  }

  private async view(): Promise<{ view: RingView; layout: RingLayout }> {
    const snapshot = await this.store.getRing();
    if (snapshot.migration?.migrationId !== this.migration.migrationId) {
      throw new DriverDeposedError('the migration is no longer the unfinished one');
    }
    this.migration = snapshot.migration;
    return {
      view: new RingView(snapshot.ringVersion, snapshot.nodes, snapshot.migration),
      layout: ringLayoutOf(snapshot, await this.store.listTenants()),
    };
  }

  /**
   * Once every live coordinator took the version that completed or rolled back the migration,
   * hands each member that version's layout, where nothing moves: nodes stop holding tombstones
   * and judge ownership by the final placement (docs/architecture.md#fencing). The migration is
   * finished, so no driver can take it over and the lease no longer renews: only a stop ends
   * the wait. Best effort: a node that misses it keeps the last step's layout, which only makes
   * it hold tombstones longer and refuse less, until the next raise reaches it.
   */
  private async announceFinished(): Promise<void> {
    const finished = this.migration;
    const halt = () => {
      if (this.halts.stopped()) throw new DriverDeposedError('stopped');
    };
    await this.barrier(finished.ringVersion, halt);
    const snapshot = await this.store.getRing();
    // A newer version (the next migration) has its own driver, which raises with its layout.
    if (snapshot.ringVersion !== finished.ringVersion || snapshot.migration) return;
    const layout = ringLayoutOf(snapshot, await this.store.listTenants());
    const view = new RingView(snapshot.ringVersion, snapshot.nodes, null);
    for (const node of view.members()) {
      for (let attempt = 1; ; attempt++) {
        halt();
        try {
          await this.storage.raiseRingVersion(node, this.fence(), layout);
          break;
        } catch (error) {
          this.log.warn(
            { node: node.nodeId, attempt, err: (error as Error).message },
            'final layout not delivered',
          );
          if (attempt >= FINAL_LAYOUT_ATTEMPTS) break;
          await sleep(STEP_RETRY_MS);
        }
      }
    }
  }

  private fence(ringVersion = this.migration.ringVersion): DriverFence {
    return { migrationId: this.migration.migrationId, epoch: this.epoch, ringVersion };
  }

  private checkHalted(): void {
    if (this.halts.deposed() || this.halts.stopped()) throw new DriverDeposedError('halted');
  }

  /** Waits until every live coordinator has taken `ringVersion` (rule 2). */
  private async barrier(ringVersion: number, halt = () => this.checkHalted()): Promise<void> {
    const started = performance.now();
    for (;;) {
      halt();
      const live = await this.store.listLiveCoordinators();
      const behind = live.filter((c) => c.takenRingVersion < ringVersion);
      if (behind.length === 0) break;
      await sleep(BARRIER_POLL_MS);
    }
    const seconds = (performance.now() - started) / 1_000;
    this.metrics.barrierWaitSeconds.observe(seconds);
    this.log.info({ ringVersion, waitSeconds: seconds }, 'barrier passed');
  }

  /**
   * Raises every member's minimum ring version to the current one (rule 3): a request placed
   * under an older version is refused from now on. An unreachable node blocks the step, except a
   * leaving node, which no ring version after this migration assigns anything to.
   */
  private async raiseFences(view: RingView, layout: RingLayout): Promise<void> {
    const leaving = this.migration.type === 'node_deletion' ? this.migration.nodeId : undefined;
    for (const node of view.members()) {
      for (;;) {
        this.checkHalted();
        try {
          await this.storage.raiseRingVersion(node, this.fence(), layout);
          break;
        } catch (error) {
          if (node.nodeId === leaving && isUnreachableFailure(error)) break;
          this.log.warn(
            { node: node.nodeId, err: (error as Error).message },
            'fence raise failed; retrying',
          );
          await sleep(this.stepRetryMs);
        }
      }
    }
    this.log.info({ ringVersion: this.migration.ringVersion }, 'fences raised');
  }

  private async advance(
    expectedPhase: MigrationPhase,
    step: {
      phase?: MigrationPhase;
      status?: 'completed' | 'rolled_back';
      errorMessage?: string;
      lostRanges?: string;
    },
  ): Promise<void> {
    this.checkHalted();
    const { migration } = await this.store.advanceMigration(
      this.migration.migrationId,
      this.epoch,
      expectedPhase,
      step,
    );
    this.migration = migration;
    this.log.info(
      { ringVersion: migration.ringVersion, phase: migration.phase, status: migration.status },
      'migration step committed',
    );
  }

  private async copyAndVerify(view: RingView): Promise<string | undefined> {
    const started = performance.now();
    const plan = planMigration(view, await this.store.listTenants());
    const checkpoints = new Map<string, CopyCheckpoint>();
    for (const checkpoint of await this.store.listCopyCheckpoints(this.migration.migrationId)) {
      checkpoints.set(checkpointKey(checkpoint), checkpoint);
    }
    this.countCheckpointed(checkpoints);
    this.progress.rangesTotal = plan.copies.length;
    this.progress.rangesDone = 0;
    // Counted while the copy starts; progress writes wait for the count (a status never shows a
    // total below what is known).
    this.keysCounted = this.countKeys(plan).then((total) => {
      this.progress.totalKeys = total;
    });
    this.metrics.rangesTotal.set(plan.copies.length);
    let differs: string | undefined;
    // Each task is verified as soon as its copy is done; the first that must roll back stops
    // the others from starting.
    await forEachLimited(plan.copies, COPY_TASKS_IN_FLIGHT, async (task) => {
      if (differs) return;
      const failure = (await this.copyTask(task, checkpoints)) ?? (await this.verifyRetrying(task));
      if (failure) {
        differs ??= failure;
        return;
      }
      this.progress.rangesDone++;
      this.metrics.rangesDone.set(this.progress.rangesDone);
      this.saveProgressSoon();
    });
    await this.saveProgress();
    this.log.info(
      {
        ranges: this.progress.rangesDone,
        keysMigrated: this.progress.keysMigrated,
        seconds: (performance.now() - started) / 1_000,
      },
      differs ? 'copy stopped: a range cannot be verified' : 'moving ranges copied and verified',
    );
    return differs;
  }

  /**
   * A takeover's starting counts: at least what the checkpoints cover (a progress write may have
   * lagged the last checkpoints of the deposed driver).
   */
  private countCheckpointed(checkpoints: ReadonlyMap<string, CopyCheckpoint>): void {
    let keys = 0;
    let bytes = 0;
    for (const checkpoint of checkpoints.values()) {
      keys += checkpoint.keysCopied;
      bytes += checkpoint.bytesCopied;
    }
    this.progress.keysMigrated = Math.max(this.progress.keysMigrated, keys);
    this.progress.bytesMigrated = Math.max(this.progress.bytesMigrated, bytes);
  }

  /** Keys to copy, as the sources count them now (dual writes may add more). */
  private async countKeys(plan: MigrationPlan): Promise<number> {
    let total = 0;
    await forEachLimited(plan.copies, KEY_COUNTS_IN_FLIGHT, async (task) => {
      const source = task.sources[0];
      if (!source) return;
      const digest = await this.storage
        .digest(source, task.tenantId, task.range, this.fence())
        .catch(() => undefined);
      total += digest?.keyCount ?? 0;
    });
    return Math.max(total, this.progress.keysMigrated);
  }

  /**
   * Copies the task from each source, resuming after its checkpoint; waits out a node down.
   * Answers why the migration must roll back, if a node keeps refusing the copy (RangeAttempts).
   */
  private async copyTask(
    task: CopyTask,
    checkpoints: Map<string, CopyCheckpoint>,
  ): Promise<string | undefined> {
    const attempts = new RangeAttempts(task, 'copy', this.stepRetryMs);
    let sources = task.sources;
    for (let index = 0; index < sources.length;) {
      this.checkHalted();
      const source = sources[index]!;
      const checkpoint = checkpoints.get(copyKey(task, source));
      if (checkpoint?.completed) {
        index++;
        continue;
      }
      try {
        await this.copyFrom(task, source, checkpoints);
        attempts.progressed();
        index++;
      } catch (error) {
        if (error instanceof DriverDeposedError) throw error;
        const copiedNow = checkpoints.get(copyKey(task, source))?.keysCopied ?? 0;
        if (copiedNow > (checkpoint?.keysCopied ?? 0)) attempts.progressed();
        const sourceDown =
          isUnreachableFailure(error) &&
          (error as ReplicaFailure).nodeId !== task.destination.nodeId;
        if (sourceDown && sources === task.sources && task.fallbackSources.length > 0) {
          this.log.warn(
            { source: source.nodeId },
            'copy source down; merging from the other replicas',
          );
          sources = task.fallbackSources;
          index = 0;
          continue;
        }
        const noneLeft = sources !== task.sources || task.fallbackSources.length === 0;
        if (sourceDown && noneLeft && this.migration.force) {
          // Rule 8: a forced removal names what it could not rebuild, and goes on.
          this.lost.push(
            `tenant ${task.tenantId} (${task.range.start}, ${task.range.end}] from ${source.nodeId}`,
          );
          this.log.error(
            { tenantId: task.tenantId, source: source.nodeId },
            'range lost: no surviving replica',
          );
          return undefined;
        }
        const next = attempts.failed(error);
        if ('rollBackFor' in next) return next.rollBackFor;
        this.log.warn(
          {
            tenantId: task.tenantId,
            source: source.nodeId,
            destination: task.destination.nodeId,
            refusals: attempts.count,
            err: (error as Error).message,
          },
          'range copy failed; retrying from its checkpoint',
        );
        await sleep(next.retryInMs);
      }
    }
    return undefined;
  }

  /** Copies from `source` after its checkpoint, keeping `checkpoints` at the last one written. */
  private async copyFrom(
    task: CopyTask,
    source: ReplicaNode,
    checkpoints: Map<string, CopyCheckpoint>,
  ): Promise<void> {
    const key = copyKey(task, source);
    let current: CopyCheckpoint = checkpoints.get(key) ?? {
      migrationId: this.migration.migrationId,
      tenantId: task.tenantId,
      rangeStart: task.range.start,
      rangeEnd: task.range.end,
      sourceNodeId: source.nodeId,
      destinationNodeId: task.destination.nodeId,
      lastKey: null,
      keysCopied: 0,
      bytesCopied: 0,
      completed: false,
    };
    const pages = this.storage.scan(
      source,
      task.tenantId,
      task.range,
      current.lastKey,
      this.fence(),
    );
    try {
      let page = await pages.next();
      while (!page.done) {
        this.checkHalted();
        const entries = page.value;
        // Read ahead: the next page arrives while this one is merged, and whether there is one
        // tells this page's checkpoint whether it completes the copy (one write fewer per range).
        const following = pages.next();
        following.catch(() => undefined); // awaited below; an early exit must not leave it unhandled
        current = await this.copyPage(task, current, entries, following);
        checkpoints.set(key, current);
        page = await following;
      }
    } finally {
      void pages.return(undefined);
    }
    if (!current.completed) {
      current = { ...current, completed: true };
      await this.store.upsertCopyCheckpoint(this.epoch, current);
      checkpoints.set(key, current);
    }
  }

  /**
   * Merges one page into the destination, then writes the checkpoint that covers it: only after
   * the destination answered, which it does once the whole page is durable (rule 4).
   */
  private async copyPage(
    task: CopyTask,
    checkpoint: CopyCheckpoint,
    entries: readonly ScannedEntry[],
    following: Promise<IteratorResult<ScannedEntry[]>>,
  ): Promise<CopyCheckpoint> {
    // Copied but not yet covered by a checkpoint: what a takeover would copy again.
    this.uncheckpointedKeys += entries.length;
    this.metrics.checkpointLagKeys.set(this.uncheckpointedKeys);
    let current = checkpoint;
    try {
      if (entries.length > 0) {
        await this.storage.repairBatch(
          task.destination,
          task.tenantId,
          entries,
          task.policy,
          this.fence(),
        );
      }
      const last = (await following).done === true;
      if (entries.length === 0 && !last) return current;
      const bytes = entries.reduce((sum, entry) => sum + entry.sizeBytes, 0);
      current = {
        ...current,
        lastKey: entries.at(-1)?.engineKey ?? current.lastKey,
        keysCopied: current.keysCopied + entries.length,
        bytesCopied: current.bytesCopied + bytes,
        completed: last,
      };
      await this.store.upsertCopyCheckpoint(this.epoch, current);
      this.progress.keysMigrated += entries.length;
      this.progress.bytesMigrated += bytes;
      this.metrics.keysCopied.inc(entries.length);
      this.metrics.bytesCopied.inc(bytes);
    } finally {
      this.uncheckpointedKeys -= entries.length;
      this.metrics.checkpointLagKeys.set(this.uncheckpointedKeys);
    }
    // Not awaited: the checkpoint is what a takeover resumes from; this is the status.
    this.saveProgressSoon();
    return current;
  }

  /**
   * Verifies the task, waiting out a node that does not answer (a destination restarting);
   * a node that keeps refusing rolls the migration back like a range still behind.
   */
  private async verifyRetrying(task: CopyTask): Promise<string | undefined> {
    const attempts = new RangeAttempts(task, 'verification', this.stepRetryMs);
    for (;;) {
      try {
        return await this.verify(task);
      } catch (error) {
        if (error instanceof DriverDeposedError) throw error;
        const next = attempts.failed(error);
        if ('rollBackFor' in next) return next.rollBackFor;
        this.log.warn(
          {
            tenantId: task.tenantId,
            destination: task.destination.nodeId,
            refusals: attempts.count,
            err: (error as Error).message,
          },
          'range verification failed; retrying',
        );
        await sleep(next.retryInMs);
      }
    }
  }

  /**
   * Rule 5: the destination must hold, for every key of every source, a version that descends
   * from the source's. Equal digests pass at once; otherwise keys are compared and the ones
   * behind merged again, up to VERIFY_ROUNDS_MAX rounds. Answers what still differs, if anything.
   */
  private async verify(task: CopyTask): Promise<string | undefined> {
    for (const source of task.sources) {
      for (let round = 1; ; round++) {
        this.checkHalted();
        const behind = await this.keysBehind(task, source);
        if (behind.length === 0) break;
        if (round >= VERIFY_ROUNDS_MAX) {
          return (
            `range (${task.range.start}, ${task.range.end}] of tenant ${task.tenantId}: ` +
            `${behind.length} keys on ${task.destination.nodeId} still behind ${source.nodeId} ` +
            `after ${round} rounds`
          );
        }
        for (let start = 0; start < behind.length; start += SCAN_PAGE_ENTRIES) {
          await this.storage.repairBatch(
            task.destination,
            task.tenantId,
            behind.slice(start, start + SCAN_PAGE_ENTRIES),
            task.policy,
            this.fence(),
          );
        }
      }
    }
    return undefined;
  }

  private async keysBehind(
    task: CopyTask,
    source: ReplicaNode,
  ): Promise<Array<{ key: string; versions: VersionSet }>> {
    const fence = this.fence();
    const [sourceDigest, destinationDigest] = await Promise.all([
      this.storage.digest(source, task.tenantId, task.range, fence),
      this.storage.digest(task.destination, task.tenantId, task.range, fence),
    ]);
    if (sameDigest(sourceDigest.buckets, destinationDigest.buckets)) return [];
    const held = new Map<string, VersionSet>();
    for await (const page of this.storage.scan(
      task.destination,
      task.tenantId,
      task.range,
      null,
      fence,
    )) {
      for (const entry of page) held.set(entry.key, entry.versions);
    }
    const behind: Array<{ key: string; versions: VersionSet }> = [];
    for await (const page of this.storage.scan(source, task.tenantId, task.range, null, fence)) {
      for (const entry of page) {
        const destination = held.get(entry.key);
        const covered =
          destination !== undefined &&
          descends(readContext(destination), readContext(entry.versions));
        if (!covered) behind.push({ key: entry.key, versions: entry.versions });
      }
    }
    return behind;
  }

  /** Rule 7: after the cleanup barrier, nodes that lost a range (and stay) drop it. */
  private async cleanUp(view: RingView): Promise<void> {
    const plan = planMigration(view, await this.store.listTenants());
    await this.dropAll(plan.drops, 'cleanup');
  }

  /**
   * Rule 8: the rolling_back barrier passed, so no coordinator writes to `new` any more and
   * every member refuses older ring versions; each destination drops the ranges it was to gain,
   * which no live ring version assigns to it. Before cutover reads never used them, and every
   * acknowledged write also reached W replicas of `old`, so nothing acknowledged goes with them.
   */
  private async rollBack(view: RingView): Promise<void> {
    const plan = planMigration(view, await this.store.listTenants());
    const drops = plan.copies.map((task): DropTask => ({
      tenantId: task.tenantId,
      range: task.range,
      node: task.destination,
    }));
    await this.dropAll(drops, 'rollback');
  }

  /** Drops each range in full (DropRange until done), retrying failures until they pass. */
  private async dropAll(drops: readonly DropTask[], step: 'cleanup' | 'rollback'): Promise<void> {
    let keysDropped = 0;
    await forEachLimited(drops, DROPS_IN_FLIGHT, async (drop) => {
      let afterKey: Buffer | null = null;
      for (;;) {
        this.checkHalted();
        try {
          const result = await this.storage.dropRange(
            drop.node,
            drop.tenantId,
            drop.range,
            afterKey,
            this.fence(),
          );
          keysDropped += result.keysDropped;
          if (result.done) break;
          afterKey = result.lastKey;
        } catch (error) {
          this.log.warn(
            { node: drop.node.nodeId, tenantId: drop.tenantId, err: (error as Error).message },
            `${step} drop failed; retrying`,
          );
          await sleep(this.stepRetryMs);
        }
      }
    });
    this.log.info({ ranges: drops.length, keysDropped }, `${step} drops done`);
  }

  /**
   * Writes the progress as it is when the write starts. Tasks run concurrently, so writes are
   * serialized (a later one never lands before an earlier one) and one queued behind a running
   * write covers every caller that asks meanwhile.
   */
  private saveProgress(): Promise<void> {
    if (this.progressWriteQueued) return this.progressWrite;
    this.progressWriteQueued = true;
    this.progressWrite = this.progressWrite
      .catch(() => undefined)
      .then(() => this.keysCounted)
      .then(() => {
        this.progressWriteQueued = false;
        return this.store.recordMigrationProgress(this.migration.migrationId, this.epoch, {
          ...this.progress,
          totalKeys: Math.max(this.progress.totalKeys, this.progress.keysMigrated),
        });
      });
    return this.progressWrite;
  }

  /** A progress write nobody waits for; copyAndVerify awaits the last one. */
  private saveProgressSoon(): void {
    this.saveProgress().catch((error: Error) =>
      this.log.warn({ err: error.message }, 'progress write failed'),
    );
  }
}

function checkpointKey(checkpoint: CopyCheckpoint): string {
  return [
    checkpoint.tenantId,
    checkpoint.rangeStart,
    checkpoint.sourceNodeId,
    checkpoint.destinationNodeId,
  ].join('\u0000');
}

function sameDigest(left: readonly Buffer[], right: readonly Buffer[]): boolean {
  return left.length === right.length && left.every((bucket, i) => bucket.equals(right[i]!));
}

function phaseNumber(view: RingView): number {
  const phases: readonly (MigrationPhase | undefined)[] = [
    undefined,
    'dual_write',
    'data_copy',
    'cutover',
    'cleanup',
    'rolling_back',
  ];
  return Math.max(0, phases.indexOf(view.change?.phase));
}

/**
 * Runs `work` on every item, at most `limit` at once. After a failure no further item starts;
 * the call rejects with the first failure once the items already started have settled, so no
 * work outlives it.
 */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failed && next < items.length) {
      try {
        await work(items[next++]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  const settled = await Promise.allSettled(lanes);
  const failure = settled.find((lane) => lane.status === 'rejected');
  if (failure) throw failure.reason;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
