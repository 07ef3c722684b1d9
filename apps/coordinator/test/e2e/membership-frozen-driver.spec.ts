// A migration's driver frozen (SIGSTOP) past its lease at each step that data_copy's test in
// membership-faults.spec.ts does not cover: dual_write, cutover and cleanup. Three coordinators
// and three storage nodes, each a process, on one PostgreSQL database, under QUORUM load through
// every coordinator. Another coordinator must take the migration over at that same step and
// finish it; the frozen one, resumed, must have every update refused by the store (its epoch is
// stale), commit nothing, and be refused by every storage node.
//
// The window: right after a step is committed the driver waits at that step's barrier for every
// live coordinator to take the new version. The test freezes one bystander coordinator as well
// (before the admission for dual_write, at the step's log line for the others), so the barrier
// cannot pass until the bystander's lease lapses: the driver is frozen at the step it just
// committed, and the takeover's log line says the step it resumed at.
import { status } from '@grpc/grpc-js';
import { failure } from './cluster-harness';
import { CoordinatorProcess, FaultCluster } from './membership-fault-harness';
import { expectNothingLost, Load, scanAsDriver, waitForMigration } from './membership-load';
import type { LogLine } from './service-process';
import {
  describeWithService,
  planService,
  POSTGRES_SERVICE,
  startService,
  type RunningService,
} from '../support/test-services';

const KEYS = 3_000;
const TENANT = 'frozen';
const REPLICATION_FACTOR = 3;
const MIGRATION_TIMEOUT_MS = 180_000;
/** Long enough for a driver lease and a coordinator lease to lapse, with slack for a busy CI. */
const TAKEOVER_TIMEOUT_MS = 60_000;
jest.setTimeout(10 * 60_000);

const plan = planService(POSTGRES_SERVICE);

type FrozenStep = 'dual_write' | 'cutover' | 'cleanup';

describeWithService('a migration driver frozen past its lease at each step', plan, () => {
  let postgres: RunningService;
  let cluster: FaultCluster;
  let members: string[];
  let loads: Load[] = [];

  beforeAll(async () => {
    postgres = await startService(POSTGRES_SERVICE, plan);
    cluster = await FaultCluster.start({
      storageNodes: 3,
      coordinatorIds: ['coord-a', 'coord-b', 'coord-c'],
      postgresUrl: postgres.url,
    });
    members = cluster.nodes.map((node) => node.nodeId);
    await cluster.client.createTenant({ tenantId: TENANT, replicationFactor: REPLICATION_FACTOR });
    loads = cluster.coordinators.map(
      (c) => new Load(c.client, TENANT, c.coordinatorId, KEYS / cluster.coordinators.length),
    );
    await Promise.all(loads.map((load) => load.fill(KEYS / loads.length)));
  });

  afterAll(async () => {
    await Promise.all(loads.map((load) => load.stop()));
    await cluster?.stop();
    await postgres?.stop();
  });

  /** The line a driver logs on reaching `step`: the claim for dual_write, the commit otherwise. */
  function reached(step: FrozenStep, line: LogLine): boolean {
    if (step === 'dual_write') return line.msg === 'driving migration' && line['phase'] === step;
    return line.msg === 'migration step committed' && line['phase'] === step;
  }

  /** Freezes the driver when it reaches `step` (and a bystander with it, if none is frozen). */
  function freezeDriverAt(
    step: FrozenStep,
    bystander: CoordinatorProcess | undefined,
  ): Promise<{
    driver: CoordinatorProcess;
    epoch: number;
    bystander: CoordinatorProcess;
    migrationId: string;
  }> {
    return new Promise((resolve) => {
      const cancels: (() => void)[] = [];
      for (const coordinator of cluster.coordinators) {
        if (coordinator === bystander) continue;
        cancels.push(
          coordinator.current.onNextLog(
            (line) => reached(step, line),
            (line) => {
              coordinator.signal('SIGSTOP');
              const other = bystander ?? cluster.coordinators.find((c) => c !== coordinator)!;
              if (!bystander) other.signal('SIGSTOP');
              for (const cancel of cancels) cancel();
              resolve({
                driver: coordinator,
                epoch: Number(line['epoch']),
                bystander: other,
                migrationId: String(line['migrationId']),
              });
            },
          ),
        );
      }
    });
  }

  async function frozenAt(step: FrozenStep, admit: () => Promise<string>, nextMembers: string[]) {
    // dual_write's barrier may pass before the claim is logged: freeze the bystander first.
    const early = step === 'dual_write' ? cluster.coordinators[2]! : undefined;
    early?.signal('SIGSTOP');
    const freezing = freezeDriverAt(step, early);
    for (const load of loads) load.start();
    // The admitting coordinator may drive at once and be frozen before it answers: the id comes
    // from the driver's log line, and the admission's answer is awaited only after the resume.
    const admission = admit().catch(() => undefined);
    try {
      const { driver, epoch, bystander, migrationId } = await freezingWithin(freezing);
      const next = await cluster.driverOf(migrationId, TAKEOVER_TIMEOUT_MS, epoch);
      expect([driver, bystander]).not.toContain(next.coordinator);
      const takeover = next.coordinator.logs.find(
        (l) =>
          l.msg === 'driving migration' &&
          l['migrationId'] === migrationId &&
          Number(l['epoch']) === next.epoch,
      );
      expect(takeover?.['phase']).toBe(step);
      bystander.signal('SIGCONT');
      const resumedFrom = driver.current.logs.length;
      driver.signal('SIGCONT');
      // Its lease renewal or its next update is refused: the store names the stale epoch.
      await driver.current.waitForLog(
        (l) => typeof l['err'] === 'string' && l['err'].includes(`expected epoch ${epoch},`),
        30_000,
        resumedFrom,
      );
      const migration = await waitForMigration(cluster.client, migrationId, MIGRATION_TIMEOUT_MS);
      expect(migration.status).toBe('completed');
      await cluster.expectFinishedOnce(migrationId, 'completed', driver, resumedFrom);
      // Every member, old or new, recorded the new driver's epoch and refuses the frozen one's.
      for (const nodeId of new Set([...members, ...nextMembers])) {
        const error = await failure(
          scanAsDriver(cluster.node(nodeId).address, TENANT, {
            migrationId,
            epoch: BigInt(epoch),
          }),
        );
        expect(error.code).toBe(status.FAILED_PRECONDITION);
        expect(error.details).toContain(`driver epoch ${epoch} is below epoch`);
      }
    } finally {
      for (const c of cluster.coordinators) c.signal('SIGCONT');
      await admission;
      for (const load of loads) await load.stop();
    }
    members = nextMembers;
    for (const load of loads) {
      await expectNothingLost(load, cluster.addresses(members), REPLICATION_FACTOR);
    }
  }

  /** The freeze, or a failure if no driver reached the step. */
  async function freezingWithin<T>(freezing: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('no driver reached the step')),
        TAKEOVER_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([freezing, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  it('is taken over in dual_write', async () => {
    const added = await cluster.startStorageNode('node-3');
    await frozenAt(
      'dual_write',
      async () =>
        (await cluster.client.addNode({ nodeId: 'node-3', host: added.host, port: added.port }))
          .migrationId,
      [...members, 'node-3'],
    );
  });

  it('is taken over in cutover', async () => {
    await frozenAt(
      'cutover',
      async () => (await cluster.client.removeNode({ nodeId: 'node-0' })).migrationId,
      members.filter((id) => id !== 'node-0'),
    );
  });

  it('is taken over in cleanup', async () => {
    const added = await cluster.startStorageNode('node-4');
    await frozenAt(
      'cleanup',
      async () =>
        (await cluster.client.addNode({ nodeId: 'node-4', host: added.host, port: added.port }))
          .migrationId,
      [...members, 'node-4'],
    );
  });
});
