// One anti-entropy pass (docs/architecture.md#anti-entropy): every tenant (or the one asked for),
// every range of the coordinator's current ring view, `rangesInFlight` ranges at once, each
// compared and repaired by repairRange, each lane resting after a range as pacing.ts says. A range
// an owner failed is compared once more at the end of its tenant. A range compared on every owner
// is marked repaired on each (docs/architecture.md#tombstone-purge). Every request carries the
// view's ring version and the runner's fence. A range
// whose owner refuses the ring version as stale is retried once under the reloaded view, if its
// owners are still the same throughout it there; otherwise the next pass, planned under the new
// view, covers it. Each range's work is counted in RequestsInFlight under its ring version, so a
// migration step's barrier also waits for anti-entropy repairs placed under an older version.
import type { Logger } from '@pairdb/service-runtime';
import type { DriverFence } from '../grpc/storage-admin-client';
import type { Tenant } from '../metadata';
import type { ReplicaFailure } from '../replicas/replica-failure';
import type { RequestsInFlight } from '../routing/requests-in-flight';
import type { RingView } from '../routing/ring-view';
import { REAL_CLOCK, restAfterMs, type PassClock } from './pacing';
import { repairRange, type AntiEntropyStorage, type RangeOutcome } from './range-repair';
import { ownersThroughout, repairRangesOf, type RepairRange } from './repair-ranges';

/**
 * The fence's migration id on anti-entropy requests. Nodes keep one epoch per id (their
 * FENCE_MIGRATIONS_MAX table); this id is one entry, replaced in place at each takeover.
 */
export const ANTI_ENTROPY_FENCE_ID = 'anti-entropy';

/** The ring view a pass places its ranges under, and how to reload it after a refusal. */
export interface RingViews {
  readonly current: RingView;
  refresh(): Promise<void>;
}

export interface PassDeps {
  readonly storage: AntiEntropyStorage;
  readonly views: RingViews;
  readonly listTenants: () => Promise<Tenant[]>;
  readonly inFlight?: RequestsInFlight;
  readonly logger: Logger;
  /** Told once the pass has counted its ranges (an estimate until every tenant is planned). */
  readonly onPlanned?: (totals: Readonly<PassTotals>) => void;
  /** Told after each range, for the metrics and the pass's recorded progress. */
  readonly onRange?: (outcome: RangeOutcome, totals: Readonly<PassTotals>) => void;
  /** Default REAL_CLOCK. */
  readonly clock?: PassClock;
}

export interface PassOptions {
  readonly epoch: number;
  readonly rangesInFlight: number;
  /** True once the runner lost its lease or is stopping: no new range starts. */
  readonly halted: () => boolean;
  /** Only this tenant's ranges; null or absent: every tenant. */
  readonly tenantId?: string | null;
  /** Share of each lane's time spent comparing (pacing.ts); default 1, no rest. */
  readonly dutyCycle?: number;
}

export interface PassTotals {
  /** The ring version of the last range compared. */
  ringVersion: number;
  /** Ranges planned: counted under the view at the start, corrected as each tenant is planned. */
  rangesTotal: number;
  rangesCompared: number;
  /** Ranges not compared on every owner (an owner failed, or the pass was halted). */
  rangesIncomplete: number;
  bucketsDiffering: number;
  keysRepaired: number;
  /** Every owner of a range the pass compared, with the keys it repaired into it. */
  repairedInto: Map<string, number>;
}

export async function runPass(deps: PassDeps, options: PassOptions): Promise<PassTotals> {
  const totals: PassTotals = {
    ringVersion: deps.views.current.ringVersion,
    rangesTotal: 0,
    rangesCompared: 0,
    rangesIncomplete: 0,
    bucketsDiffering: 0,
    keysRepaired: 0,
    repairedInto: new Map(),
  };
  const filter = options.tenantId ?? null;
  const tenants = (await deps.listTenants()).filter(
    (t) => filter === null || t.tenantId === filter,
  );
  const estimates = tenants.map((tenant) => repairRangesOf(deps.views.current, tenant).length);
  totals.rangesTotal = estimates.reduce((sum, count) => sum + count, 0);
  deps.onPlanned?.(totals);
  for (const [index, tenant] of tenants.entries()) {
    // Planned under the view of now: a ring change since the estimate moves the total.
    const ranges = repairRangesOf(deps.views.current, tenant);
    totals.rangesTotal += ranges.length - estimates[index]!;
    const failed: RepairRange[] = [];
    const plannedUnder = deps.views.current.ringVersion;
    await inLanes(ranges, options, totals, async (task) => {
      if (!(await compareAndRest(task, tenant, deps, options, totals, true))) failed.push(task);
    });
    // A range an owner failed is compared once more after the others: an owner that was
    // restarting (a process restarted, a disk replaced) is usually back by then. Only under the
    // view its owners were planned by; after a ring change the next pass covers it.
    await inLanes(failed, options, totals, async (task) => {
      if (deps.views.current.ringVersion !== plannedUnder) totals.rangesIncomplete++;
      else await compareAndRest(task, tenant, deps, options, totals, false);
    });
  }
  return totals;
}

/** Runs `work` on each task, `rangesInFlight` at once; once halted, the rest count incomplete. */
async function inLanes(
  tasks: readonly RepairRange[],
  options: PassOptions,
  totals: PassTotals,
  work: (task: RepairRange) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(options.rangesInFlight, tasks.length) }, async () => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      if (options.halted()) {
        totals.rangesIncomplete++;
        continue;
      }
      await work(task);
    }
  });
  await Promise.all(lanes);
}

/**
 * One range, then the lane's rest (pacing.ts) unless the pass was halted meanwhile. Answers
 * false, leaving the range uncounted, when an owner failed and `later` says it is compared again.
 */
async function compareAndRest(
  task: RepairRange,
  tenant: Tenant,
  deps: PassDeps,
  options: PassOptions,
  totals: PassTotals,
  later: boolean,
): Promise<boolean> {
  const clock = deps.clock ?? REAL_CLOCK;
  const started = clock.now();
  const compared = await compareWithRetry(task, tenant, deps, options, totals);
  const failures = compared.outcome.failures;
  // A stale ring was handled by compareWithRetry: the next pass, planned anew, covers it.
  const settled = !later || failures.length === 0 || failures.some(isStaleRing);
  addWork(totals, compared.task, compared.outcome);
  if (settled) addVerdict(totals, compared.outcome);
  deps.onRange?.(compared.outcome, totals);
  const restMs = restAfterMs(clock.now() - started, options.dutyCycle ?? 1);
  if (restMs > 0 && !options.halted()) await clock.sleep(restMs);
  return settled;
}

/** Compares `task`; after a stale-ring refusal reloads the view and compares it once more. */
async function compareWithRetry(
  task: RepairRange,
  tenant: Tenant,
  deps: PassDeps,
  options: PassOptions,
  totals: PassTotals,
): Promise<{ task: RepairRange; outcome: RangeOutcome }> {
  const view = deps.views.current;
  const outcome = await compare(task, view, deps, options);
  if (!outcome.failures.some(isStaleRing)) return { task, outcome };
  await deps.views.refresh();
  const reloaded = deps.views.current;
  const owners = ownersThroughout(reloaded, tenant, task.range);
  if (reloaded.ringVersion === view.ringVersion || !owners || owners.length === 0) {
    deps.logger.info(
      { tenantId: tenant.tenantId, ringVersion: reloaded.ringVersion },
      'anti-entropy range left to the next pass after a ring change',
    );
    return { task, outcome };
  }
  totals.ringVersion = Math.max(totals.ringVersion, reloaded.ringVersion);
  const retry = { ...task, owners };
  const retried = await compare(retry, reloaded, deps, options);
  // What the first try repaired stays repaired.
  const repairedInto = new Map(retried.repairedInto);
  for (const [nodeId, keys] of outcome.repairedInto) {
    repairedInto.set(nodeId, (repairedInto.get(nodeId) ?? 0) + keys);
  }
  return { task: retry, outcome: { ...retried, repairedInto } };
}

async function compare(
  task: RepairRange,
  view: RingView,
  deps: PassDeps,
  options: PassOptions,
): Promise<RangeOutcome> {
  const fence: DriverFence = {
    migrationId: ANTI_ENTROPY_FENCE_ID,
    epoch: options.epoch,
    ringVersion: view.ringVersion,
  };
  const done = deps.inFlight?.begin(view.ringVersion);
  try {
    const outcome = await repairRange(task, { storage: deps.storage, fence });
    if (comparedOnEveryOwner(task, outcome)) await markRepaired(task, outcome, fence, deps);
    return outcome;
  } finally {
    done?.();
  }
}

function comparedOnEveryOwner(task: RepairRange, outcome: RangeOutcome): boolean {
  return (
    outcome.failures.length === 0 &&
    task.owners.every((owner) => outcome.horizons.has(owner.nodeId))
  );
}

/**
 * Tells every owner that the range compared on all of them, with the horizon its own digest
 * gave; an owner that misses it only purges later (docs/architecture.md#tombstone-purge).
 */
async function markRepaired(
  task: RepairRange,
  outcome: RangeOutcome,
  fence: DriverFence,
  deps: PassDeps,
): Promise<void> {
  const marked = await Promise.allSettled(
    task.owners.map((owner) =>
      deps.storage.markRangeRepaired(
        owner,
        task.tenantId,
        task.range,
        outcome.horizons.get(owner.nodeId)!,
        fence,
      ),
    ),
  );
  marked.forEach((result, index) => {
    if (result.status === 'rejected') {
      deps.logger.debug(
        { nodeId: task.owners[index]!.nodeId, err: (result.reason as Error).message },
        'anti-entropy could not mark a range repaired',
      );
    }
  });
}

function addVerdict(totals: PassTotals, outcome: RangeOutcome): void {
  if (outcome.failures.length > 0) totals.rangesIncomplete++;
  else totals.rangesCompared++;
}

function addWork(totals: PassTotals, task: RepairRange, outcome: RangeOutcome): void {
  totals.bucketsDiffering += outcome.bucketsDiffering;
  for (const owner of task.owners) {
    const keys = outcome.repairedInto.get(owner.nodeId) ?? 0;
    totals.repairedInto.set(owner.nodeId, (totals.repairedInto.get(owner.nodeId) ?? 0) + keys);
  }
  for (const keys of outcome.repairedInto.values()) totals.keysRepaired += keys;
}

function isStaleRing(failure: ReplicaFailure): boolean {
  return failure.kind === 'fenced';
}
