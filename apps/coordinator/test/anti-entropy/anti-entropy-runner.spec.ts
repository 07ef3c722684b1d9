// The anti-entropy runner (docs/architecture.md#anti-entropy) against an in-memory store and
// storage nodes faked in memory (fake-replicas.ts): a repair asked for on this coordinator starts
// at once (wake), one asked for elsewhere once the runner polls, a running scheduled pass gives
// way to a requested one, and every pass records its progress and how it ended. Pass intervals
// are an hour, so nothing but the request can start the pass that follows.
import { createLogger } from '@pairdb/service-runtime';
import { EMPTY_VERSION_SET, update, VersionVector, type VersionSet } from '@pairdb/vectorclock';
import { Registry } from 'prom-client';
import { AntiEntropyMetrics } from '../../src/anti-entropy/anti-entropy-metrics';
import {
  AntiEntropyRunner,
  type AntiEntropyStore,
} from '../../src/anti-entropy/anti-entropy-runner';
import type { PassClock } from '../../src/anti-entropy/pacing';
import type {
  AntiEntropyPass,
  AntiEntropyRepair,
  RepairOutcome,
  RepairProgress,
  StorageNode,
  Tenant,
} from '../../src/metadata';
import { RingView } from '../../src/routing/ring-view';
import { FakeReplicas } from './fake-replicas';

const logger = createLogger({ name: 'test', level: 'silent', format: 'json' });
const HOUR_MS = 3_600_000;
/** How long a test waits for the runner to get somewhere before it fails. */
const WAIT_MS = 20_000;
const NODES = ['n1', 'n2', 'n3'];

function node(nodeId: string): StorageNode {
  return {
    nodeId,
    host: '127.0.0.1',
    port: 7000 + Number(nodeId.slice(1)),
    status: 'active',
    virtualNodes: 16,
    createdAtUnixMs: 0,
    updatedAtUnixMs: 0,
  };
}

function tenant(tenantId: string): Tenant {
  return {
    tenantId,
    replicationFactor: 3,
    conflictResolution: 'lww',
    version: 1,
    createdAtUnixMs: 0,
    updatedAtUnixMs: 0,
  };
}

function written(counter: number): VersionSet {
  return update(
    EMPTY_VERSION_SET,
    VersionVector.EMPTY,
    { actor: 'c1', counter: BigInt(counter) },
    { value: Buffer.from(`v${counter}`) },
  );
}

interface Finished {
  readonly repairId: string;
  readonly outcome: RepairOutcome;
  readonly progress: RepairProgress;
  readonly message: string | null;
}

/** The runner's part of the metadata store, in memory, with one runner that always holds it. */
class MemoryStore implements AntiEntropyStore {
  readonly pending: AntiEntropyRepair[] = [];
  readonly started: AntiEntropyRepair[] = [];
  readonly progress: Array<{ repairId: string } & RepairProgress> = [];
  readonly finished: Finished[] = [];
  readonly passes: AntiEntropyPass[] = [];

  constructor(private readonly tenants: Tenant[]) {}

  ask(repairId: string, tenantId: string | null): void {
    this.pending.push({
      repairId,
      tenantId,
      requested: true,
      status: 'pending',
      runnerInstanceId: null,
      epoch: null,
      rangesDone: 0,
      rangesTotal: 0,
      keysRepaired: 0,
      bucketsDiffering: 0,
      requestedAtUnixMs: 1,
      startedAtUnixMs: null,
      completedAtUnixMs: null,
      updatedAtUnixMs: 1,
      message: null,
    });
  }

  async listTenants(): Promise<Tenant[]> {
    return this.tenants;
  }
  async claimAntiEntropyLease(): Promise<number | null> {
    return 1;
  }
  renewAntiEntropyLease(): Promise<void> {
    return Promise.resolve();
  }
  releaseAntiEntropyLease(): Promise<void> {
    return Promise.resolve();
  }
  async recordAntiEntropyPass(pass: AntiEntropyPass): Promise<void> {
    this.passes.push(pass);
  }
  async hasPendingRepair(): Promise<boolean> {
    return this.pending.length > 0;
  }
  async startRepairPass(
    instanceId: string,
    epoch: number,
    scheduledRepairId: string,
  ): Promise<AntiEntropyRepair> {
    const taken = this.pending.shift();
    const repair: AntiEntropyRepair = {
      ...(taken ?? { ...this.pendingShape(scheduledRepairId), requested: false }),
      status: 'running',
      runnerInstanceId: instanceId,
      epoch,
      startedAtUnixMs: 2,
    };
    this.started.push(repair);
    return repair;
  }
  async recordRepairProgress(repairId: string, _epoch: number, p: RepairProgress): Promise<void> {
    this.progress.push({ repairId, ...p });
  }
  async finishRepair(
    repairId: string,
    _epoch: number,
    outcome: RepairOutcome,
    progress: RepairProgress,
    message: string | null,
  ): Promise<void> {
    this.finished.push({ repairId, outcome, progress, message });
  }

  private pendingShape(repairId: string): AntiEntropyRepair {
    this.ask(repairId, null);
    return this.pending.pop()!;
  }
}

async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('anti-entropy runner', () => {
  let runner: AntiEntropyRunner | undefined;

  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
  });

  function setUp(options: { repairPollMs: number; clock?: PassClock }) {
    const replicas = new FakeReplicas();
    for (const tenantId of ['t1', 't2']) {
      for (let i = 0; i < 60; i++) {
        for (const nodeId of NODES) replicas.put(nodeId, tenantId, `k${i}`, written(i + 1));
      }
    }
    const store = new MemoryStore([tenant('t1'), tenant('t2')]);
    const view = new RingView(
      4,
      NODES.map((id) => node(id)),
      null,
    );
    runner = new AntiEntropyRunner(
      {
        store,
        storage: replicas,
        views: { current: view, refresh: () => Promise.resolve() },
        metrics: new AntiEntropyMetrics(new Registry()),
        logger,
        ...(options.clock && { clock: options.clock }),
      },
      {
        instanceId: 'runner-a',
        leaseMs: HOUR_MS,
        passIntervalMs: HOUR_MS,
        rangesInFlight: 2,
        dutyCycle: options.clock ? 0.5 : 1,
        repairPollMs: options.repairPollMs,
        claimPollMs: HOUR_MS,
      },
    );
    return { store, replicas, runner };
  }

  it('starts a repair asked for on this coordinator at once, covering only its tenant', async () => {
    const { store, replicas, runner } = setUp({ repairPollMs: HOUR_MS });
    runner.start();
    await waitFor('the first scheduled pass', () => store.finished.length === 1);
    expect(store.started[0]).toMatchObject({ requested: false, tenantId: null });
    for (const tenantId of ['t1', 't2']) replicas.delete('n2', tenantId, 'k7');

    store.ask('rep-1', 't2');
    runner.wake();
    await waitFor('the requested pass', () => store.finished.length === 2);

    expect(store.started[1]).toMatchObject({ repairId: 'rep-1', tenantId: 't2' });
    expect(replicas.get('n2', 't2', 'k7')).toBeDefined();
    expect(replicas.get('n2', 't1', 'k7')).toBeUndefined();
    const end = store.finished[1]!;
    expect(end).toMatchObject({ repairId: 'rep-1', outcome: 'completed', message: null });
    expect(end.progress.rangesDone).toBe(end.progress.rangesTotal);
    expect(end.progress.keysRepaired).toBe(1);
    expect(store.passes.map((p) => [p.passId, p.tenantId])).toEqual([
      [store.started[0]!.repairId, null],
      ['rep-1', 't2'],
    ]);
    // Progress was recorded while it ran: first the planned total, nothing done yet.
    const during = store.progress.filter((p) => p.repairId === 'rep-1');
    expect(during[0]).toMatchObject({ rangesDone: 0, rangesTotal: end.progress.rangesTotal });
  });

  it('picks up a repair asked for on another coordinator when it polls', async () => {
    const { store, runner } = setUp({ repairPollMs: 20 });
    runner.start();
    await waitFor('the first scheduled pass', () => store.finished.length === 1);
    store.ask('rep-elsewhere', null);
    await waitFor('the requested pass', () => store.finished.length === 2);
    expect(store.started[1]).toMatchObject({ repairId: 'rep-elsewhere', requested: true });
    expect(store.finished[1]).toMatchObject({ repairId: 'rep-elsewhere', outcome: 'completed' });
  });

  it('ends a scheduled pass incomplete when a repair is asked for, and runs the repair', async () => {
    let rests = 0;
    let nowMs = 0;
    const clock: PassClock = {
      now: () => (nowMs += 1),
      sleep: async () => {
        // The first rest of the first (scheduled) pass: a repair is asked for here.
        if (++rests === 1) {
          store.ask('rep-now', null);
          runner.wake();
        }
      },
    };
    const { store, runner } = setUp({ repairPollMs: HOUR_MS, clock });
    runner.start();
    await waitFor('the requested pass', () => store.finished.length === 2);
    const [scheduled, requested] = store.finished;
    expect(scheduled).toMatchObject({
      outcome: 'incomplete',
      message: 'gave way to a requested repair',
    });
    expect(scheduled!.progress.rangesDone).toBeLessThanOrEqual(scheduled!.progress.rangesTotal);
    expect(requested).toMatchObject({ repairId: 'rep-now', outcome: 'completed' });
    expect(store.passes.map((p) => p.passId)).toEqual(['rep-now']);
  });

  it('ends a pass with an owner down incomplete, naming it, and records no completed pass', async () => {
    const { store, replicas, runner } = setUp({ repairPollMs: HOUR_MS });
    replicas.down.add('n3');
    runner.start();
    await waitFor('the first pass', () => store.finished.length === 1);
    expect(store.finished[0]!.outcome).toBe('incomplete');
    expect(store.finished[0]!.message).toMatch(/failed: n3\)$/);
    expect(store.passes).toEqual([]);
  });
});
