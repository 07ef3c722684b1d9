// The anti-entropy half of the MetadataStore contract (docs/architecture.md#anti-entropy): the
// one-row lease with its epoch, pass records, and repairs (requests, progress, per-node last
// pass), run against PGlite and PostgreSQL.
import {
  InvalidMetadataError,
  RepairNotFoundError,
  StaleAntiEntropyRunnerError,
  type AntiEntropyPass,
  type MetadataStore,
  type RepairProgress,
} from '../../src/metadata';

export interface AntiEntropyContractTarget {
  store: MetadataStore;
  peer: MetadataStore;
  /** Empties the pass tables and frees the lease (ANTI_ENTROPY_RESET_SQL). */
  reset(): Promise<void>;
}

export const ANTI_ENTROPY_RESET_SQL =
  'TRUNCATE anti_entropy_pass_nodes, anti_entropy_passes, anti_entropy_repairs; ' +
  'UPDATE anti_entropy_lease SET runner_instance_id = NULL, lease_expires_at = NULL';

const LONG_LEASE_MS = 600_000;

function passOf(
  epoch: number,
  passId: string,
  overrides: Partial<AntiEntropyPass> = {},
): AntiEntropyPass {
  return {
    passId,
    runnerInstanceId: 'runner-a',
    epoch,
    ringVersion: 3,
    tenantId: null,
    startedAtUnixMs: 1_700_000_000_000,
    completedAtUnixMs: 1_700_000_060_000,
    rangesCompared: 12,
    bucketsDiffering: 4,
    keysRepaired: 9,
    nodes: [
      { nodeId: 'n1', keysRepaired: 0 },
      { nodeId: 'n2', keysRepaired: 9 },
    ],
    ...overrides,
  };
}

export function antiEntropyContract(target: () => AntiEntropyContractTarget): void {
  describe('anti-entropy lease and passes', () => {
    beforeEach(() => target().reset());

    it('gives the lease to one instance at a time, a takeover after release with a higher epoch', async () => {
      const { store, peer } = target();
      const first = await store.claimAntiEntropyLease('runner-a', LONG_LEASE_MS);
      expect(first).not.toBeNull();
      expect(await peer.claimAntiEntropyLease('runner-b', LONG_LEASE_MS)).toBeNull();
      await store.renewAntiEntropyLease('runner-a', first!, LONG_LEASE_MS);
      await store.releaseAntiEntropyLease('runner-a', first!);
      const second = await peer.claimAntiEntropyLease('runner-b', LONG_LEASE_MS);
      expect(second).toBe(first! + 1);
      await expect(
        store.renewAntiEntropyLease('runner-a', first!, LONG_LEASE_MS),
      ).rejects.toBeInstanceOf(StaleAntiEntropyRunnerError);
    });

    it('takes over a lapsed lease', async () => {
      const { store, peer } = target();
      const first = await store.claimAntiEntropyLease('runner-a', 1);
      let second: number | null = null;
      const deadline = Date.now() + 10_000;
      while (second === null && Date.now() < deadline) {
        second = await peer.claimAntiEntropyLease('runner-b', LONG_LEASE_MS);
      }
      expect(second).toBe(first! + 1);
    });

    it('records a pass only while its epoch holds the lease, and lists it back newest first', async () => {
      const { store, peer } = target();
      const epoch = (await store.claimAntiEntropyLease('runner-a', LONG_LEASE_MS))!;
      await store.recordAntiEntropyPass(passOf(epoch, 'p1'));
      await store.recordAntiEntropyPass(
        passOf(epoch, 'p2', {
          startedAtUnixMs: 1_700_000_100_000,
          completedAtUnixMs: 1_700_000_120_000,
        }),
      );
      expect(await peer.listAntiEntropyPasses(10)).toEqual([
        passOf(epoch, 'p2', {
          startedAtUnixMs: 1_700_000_100_000,
          completedAtUnixMs: 1_700_000_120_000,
        }),
        passOf(epoch, 'p1'),
      ]);
      expect(await peer.listAntiEntropyPasses(1)).toHaveLength(1);

      await store.releaseAntiEntropyLease('runner-a', epoch);
      await peer.claimAntiEntropyLease('runner-b', LONG_LEASE_MS);
      await expect(store.recordAntiEntropyPass(passOf(epoch, 'p3'))).rejects.toBeInstanceOf(
        StaleAntiEntropyRunnerError,
      );
      expect((await peer.listAntiEntropyPasses(10)).map((p) => p.passId)).toEqual(['p2', 'p1']);
    });

    it('refuses a bad pass naming the field', async () => {
      const { store } = target();
      const epoch = (await store.claimAntiEntropyLease('runner-a', LONG_LEASE_MS))!;
      await expect(
        store.recordAntiEntropyPass(passOf(epoch, 'bad', { keysRepaired: -1 })),
      ).rejects.toThrow(
        new InvalidMetadataError('keys_repaired', -1, 'must be a non-negative safe integer'),
      );
      await expect(
        store.recordAntiEntropyPass(passOf(epoch, 'bad', { completedAtUnixMs: 1 })),
      ).rejects.toThrow(/completed_at_unix_ms 1/);
      await expect(
        store.recordAntiEntropyPass(
          passOf(epoch, 'bad', {
            nodes: [
              { nodeId: 'n1', keysRepaired: 0 },
              { nodeId: 'n1', keysRepaired: 1 },
            ],
          }),
        ),
      ).rejects.toThrow(/nodes\[1\]\.node_id "n1": is listed twice/);
      await expect(store.listAntiEntropyPasses(0)).rejects.toBeInstanceOf(InvalidMetadataError);
    });

    it('answers a pending request for the same tenant instead of queueing another; the runner takes the oldest first, then schedules its own', async () => {
      const { store, peer } = target();
      const everyTenant = await peer.requestRepair('r-all', null);
      expect(everyTenant).toMatchObject({ repairId: 'r-all', status: 'pending', requested: true });
      expect(everyTenant.requestedAtUnixMs).toBeGreaterThan(0);
      await peer.requestRepair('r-t1', 't1');
      expect((await peer.requestRepair('r-all-again', null)).repairId).toBe('r-all');
      expect(await store.hasPendingRepair()).toBe(true);

      const epoch = (await store.claimAntiEntropyLease('runner-a', LONG_LEASE_MS))!;
      const first = await store.startRepairPass('runner-a', epoch, 'scheduled-1');
      expect(first).toMatchObject({
        repairId: 'r-all',
        tenantId: null,
        status: 'running',
        runnerInstanceId: 'runner-a',
        epoch,
      });
      expect(first.startedAtUnixMs).toBeGreaterThanOrEqual(first.requestedAtUnixMs!);
      await store.recordRepairProgress('r-all', epoch, progress(3, 10, 7));
      expect(await peer.getRunningRepair()).toMatchObject({
        repairId: 'r-all',
        ...progress(3, 10, 7),
      });
      await store.finishRepair('r-all', epoch, 'completed', progress(10, 10, 9), null);

      const second = await store.startRepairPass('runner-a', epoch, 'scheduled-2');
      expect(second).toMatchObject({ repairId: 'r-t1', tenantId: 't1', status: 'running' });
      await store.finishRepair('r-t1', epoch, 'incomplete', progress(4, 5, 0), 'node-2 down');
      expect(await store.hasPendingRepair()).toBe(false);
      const third = await store.startRepairPass('runner-a', epoch, 'scheduled-3');
      expect(third).toMatchObject({ repairId: 'scheduled-3', requested: false, tenantId: null });
      expect(third.requestedAtUnixMs).toBeNull();

      const done = await peer.getRepair('r-all');
      expect(done).toMatchObject({ status: 'completed', ...progress(10, 10, 9), message: null });
      expect(done.completedAtUnixMs).toBeGreaterThanOrEqual(done.startedAtUnixMs!);
      expect(await peer.getRepair('r-t1')).toMatchObject({
        status: 'incomplete',
        message: 'node-2 down',
      });
      expect((await peer.getLastCompletedRepair())?.repairId).toBe('r-all');
      expect((await peer.getRunningRepair())?.repairId).toBe('scheduled-3');
    });

    it("refuses a deposed runner's progress, and the next runner ends the pass it left running", async () => {
      const { store, peer } = target();
      const first = (await store.claimAntiEntropyLease('runner-a', LONG_LEASE_MS))!;
      await store.startRepairPass('runner-a', first, 'left-running');
      await store.recordRepairProgress('left-running', first, progress(1, 8, 0));
      await store.releaseAntiEntropyLease('runner-a', first);
      await expect(store.startRepairPass('runner-a', first, 'too-late')).rejects.toBeInstanceOf(
        StaleAntiEntropyRunnerError,
      );
      const second = (await peer.claimAntiEntropyLease('runner-b', LONG_LEASE_MS))!;
      await expect(
        store.recordRepairProgress('left-running', first, progress(2, 8, 0)),
      ).rejects.toBeInstanceOf(StaleAntiEntropyRunnerError);

      const next = await peer.startRepairPass('runner-b', second, 'next');
      expect(next).toMatchObject({ repairId: 'next', status: 'running', epoch: second });
      const abandoned = await peer.getRepair('left-running');
      expect(abandoned).toMatchObject({ status: 'incomplete', ...progress(1, 8, 0) });
      expect(abandoned.message).toMatch(/lost the anti-entropy lease/);
      await expect(
        store.finishRepair('next', first, 'completed', progress(0, 0, 0), null),
      ).rejects.toBeInstanceOf(StaleAntiEntropyRunnerError);
    });

    it('refuses bad repair input naming the field, and an unknown repair', async () => {
      const { store } = target();
      await expect(store.getRepair('no-such-repair')).rejects.toThrow(
        new RepairNotFoundError('no-such-repair'),
      );
      await expect(store.requestRepair('r', '')).rejects.toThrow(/tenant_id/);
      const epoch = (await store.claimAntiEntropyLease('runner-a', LONG_LEASE_MS))!;
      await store.startRepairPass('runner-a', epoch, 'p');
      await expect(store.recordRepairProgress('p', epoch, progress(9, 8, 0))).rejects.toThrow(
        /ranges_done 9: is above ranges_total 8/,
      );
    });

    it('gives each node its newest completed pass and the keys that pass repaired into it', async () => {
      const { store, peer } = target();
      const epoch = (await store.claimAntiEntropyLease('runner-a', LONG_LEASE_MS))!;
      await store.recordAntiEntropyPass(passOf(epoch, 'older'));
      await store.recordAntiEntropyPass(
        passOf(epoch, 'newer', {
          tenantId: 't1',
          startedAtUnixMs: 1_700_000_100_000,
          completedAtUnixMs: 1_700_000_120_000,
          nodes: [{ nodeId: 'n2', keysRepaired: 3 }],
        }),
      );
      expect(await peer.listNodeLastRepairs()).toEqual([
        { nodeId: 'n1', completedAtUnixMs: 1_700_000_060_000, keysRepaired: 0 },
        { nodeId: 'n2', completedAtUnixMs: 1_700_000_120_000, keysRepaired: 3 },
      ]);
      expect((await peer.listAntiEntropyPasses(1))[0]!.tenantId).toBe('t1');
    });
  });
}

function progress(rangesDone: number, rangesTotal: number, keysRepaired: number): RepairProgress {
  return { rangesDone, rangesTotal, keysRepaired, bucketsDiffering: keysRepaired };
}
