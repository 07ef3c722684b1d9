// CoordinatorLease against a fake registry and fake clocks: when the lease is trusted, how a
// start-up waits out a previous holder, what each renewal carries.
import { HLC_LOGICAL_BITS, HybridLogicalClock } from '@pairdb/vectorclock';
import {
  CoordinatorLease,
  HEARTBEATS_PER_LEASE,
  type LeaseStore,
} from '../../src/membership/coordinator-lease';
import {
  CoordinatorIdInUseError,
  CoordinatorLeaseLostError,
  StaleRingVersionError,
  type CoordinatorClaim,
  type CoordinatorRenewal,
} from '../../src/metadata';

const LEASE_MS = 15_000;
/** LEASE_MS minus its margin (a fifth): how long a renewal is trusted after it was sent. */
const TRUSTED_MS = 12_000;
const WALL_MS = 1_700_000_000_000;

type Answer<T> = (request: T) => Promise<unknown>;

class FakeRegistry implements LeaseStore {
  readonly claims: CoordinatorClaim[] = [];
  readonly renewals: CoordinatorRenewal[] = [];
  readonly releases: Array<[string, string]> = [];
  claimAnswers: Array<Answer<CoordinatorClaim>> = [];
  renewAnswer: Answer<CoordinatorRenewal> = async () => undefined;
  storedHighWater = 0n;

  async claimCoordinatorId(claim: CoordinatorClaim): Promise<{ hlcHighWater: bigint }> {
    this.claims.push(claim);
    const answer = this.claimAnswers.shift();
    if (answer) await answer(claim);
    return { hlcHighWater: this.storedHighWater };
  }

  async renewCoordinatorLease(renewal: CoordinatorRenewal): Promise<void> {
    this.renewals.push(renewal);
    await this.renewAnswer(renewal);
  }

  async releaseCoordinatorId(coordinatorId: string, instanceId: string): Promise<void> {
    this.releases.push([coordinatorId, instanceId]);
  }
}

interface Harness {
  lease: CoordinatorLease;
  registry: FakeRegistry;
  clock: HybridLogicalClock;
  now: { ms: number };
  sleeps: number[];
  logs: Array<{ level: string; message: string }>;
  taken: { version: number };
}

function harness(): Harness {
  const registry = new FakeRegistry();
  const now = { ms: 1_000 };
  const sleeps: number[] = [];
  const logs: Harness['logs'] = [];
  const taken = { version: 0 };
  const clock = new HybridLogicalClock('coord-1', { now: () => WALL_MS });
  const log = (level: string) => (_fields: unknown, message: string) => {
    logs.push({ level, message });
  };
  const lease = new CoordinatorLease({
    store: registry,
    coordinatorId: 'coord-1',
    address: '127.0.0.1:50051',
    leaseMs: LEASE_MS,
    clock,
    takenRingVersion: () => taken.version,
    logger: { info: log('info'), warn: log('warn'), error: log('error') } as never,
    instanceId: 'instance-a',
    monotonicMs: () => now.ms,
    wallMs: () => WALL_MS,
    sleep: async (ms) => {
      sleeps.push(ms);
      now.ms += ms;
    },
  });
  return { lease, registry, clock, now, sleeps, logs, taken };
}

describe('CoordinatorLease', () => {
  let h: Harness;

  beforeEach(() => {
    h = harness();
  });

  afterEach(() => h.lease.stop());

  it('is invalid before start and valid right after the claim', async () => {
    expect(h.lease.valid).toBe(false);
    await h.lease.start();
    expect(h.lease.valid).toBe(true);
    expect(h.registry.claims).toEqual([
      {
        coordinatorId: 'coord-1',
        instanceId: 'instance-a',
        address: '127.0.0.1:50051',
        leaseMs: LEASE_MS,
      },
    ]);
  });

  it('moves the clock past the stored high-water mark, so no earlier dot is reissued', async () => {
    const stored = (BigInt(WALL_MS + 3_600_000) << HLC_LOGICAL_BITS) + 7n;
    h.registry.storedHighWater = stored;
    await h.lease.start();
    expect(h.clock.next()).toBe(stored + 1n);
  });

  it('lapses by the monotonic clock at lease minus margin, logging once', async () => {
    await h.lease.start();
    h.now.ms += TRUSTED_MS - 1;
    expect(h.lease.valid).toBe(true);
    h.now.ms += 1;
    expect(h.lease.valid).toBe(false);
    expect(h.lease.valid).toBe(false);
    expect(h.logs.filter((l) => /lapsed/.test(l.message))).toHaveLength(1);
  });

  it('is valid again after a renewal succeeds, counted from when the renewal was sent', async () => {
    await h.lease.start();
    h.now.ms += TRUSTED_MS + 5_000;
    expect(h.lease.valid).toBe(false);
    const sentAt = h.now.ms;
    // The database takes 4 s to answer: the lease counts from the send, not the answer.
    h.registry.renewAnswer = async () => {
      h.now.ms += 4_000;
    };
    await h.lease.renew();
    expect(h.lease.valid).toBe(true);
    h.now.ms = sentAt + TRUSTED_MS;
    expect(h.lease.valid).toBe(false);
    expect(h.logs.map((l) => l.message)).toContain('coordinator lease renewed after a lapse');
  });

  it('a failed renewal does not extend the lease', async () => {
    await h.lease.start();
    h.now.ms += 10_000;
    h.registry.renewAnswer = async () => {
      throw new StaleRingVersionError(3, 5);
    };
    await expect(h.lease.renew()).rejects.toBeInstanceOf(StaleRingVersionError);
    h.now.ms += 2_000;
    expect(h.lease.valid).toBe(false);
    expect(h.logs.some((l) => l.level === 'warn' && /renewal failed/.test(l.message))).toBe(true);
  });

  it('renews with the taken ring version and a high-water mark one lease ahead', async () => {
    await h.lease.start();
    h.taken.version = 4;
    await h.lease.renew();
    // The clock has issued nothing: the wall time is ahead of it.
    const leaseAhead = BigInt(LEASE_MS) << HLC_LOGICAL_BITS;
    expect(h.registry.renewals[0]).toEqual({
      coordinatorId: 'coord-1',
      instanceId: 'instance-a',
      leaseMs: LEASE_MS,
      takenRingVersion: 4,
      hlcHighWater: (BigInt(WALL_MS) << HLC_LOGICAL_BITS) + leaseAhead,
    });
    // A clock running ahead of the wall (it observed a later counter) sets the mark.
    const ahead = BigInt(WALL_MS + 60_000) << HLC_LOGICAL_BITS;
    h.clock.observe(ahead);
    await h.lease.renew();
    expect(h.registry.renewals[1]!.hlcHighWater).toBe(ahead + leaseAhead);
  });

  it('recordTaken renews at once with the newer of the recorded and the current version', async () => {
    await h.lease.start();
    h.taken.version = 2;
    await h.lease.recordTaken(6);
    expect(h.registry.renewals.map((r) => r.takenRingVersion)).toEqual([6]);
    h.taken.version = 9;
    await h.lease.renew();
    expect(h.registry.renewals.map((r) => r.takenRingVersion)).toEqual([6, 9]);
  });

  it('waits for a previous holder lease to lapse, then claims', async () => {
    h.registry.claimAnswers = [
      async () => {
        throw new CoordinatorIdInUseError('coord-1', 'instance-old', 4_000);
      },
    ];
    await h.lease.start();
    expect(h.lease.valid).toBe(true);
    expect(h.registry.claims).toHaveLength(2);
    expect(h.sleeps).toHaveLength(1);
    expect(h.sleeps[0]).toBeGreaterThanOrEqual(4_000);
    expect(h.logs.some((l) => /waiting for its lease to lapse/.test(l.message))).toBe(true);
  });

  it('refuses to start while a live holder keeps renewing, after at most lease plus margin', async () => {
    const startedAt = h.now.ms;
    const refuse = async () => {
      throw new CoordinatorIdInUseError('coord-1', 'instance-live', LEASE_MS);
    };
    h.registry.claimAnswers = Array.from({ length: 10 }, () => refuse);
    const starting = h.lease.start();
    await expect(starting).rejects.toBeInstanceOf(CoordinatorIdInUseError);
    await expect(starting).rejects.toThrow(/"coord-1".*"instance-live"/);
    expect(h.now.ms - startedAt).toBeLessThanOrEqual(LEASE_MS + LEASE_MS / 5);
    expect(h.lease.valid).toBe(false);
    await h.lease.stop();
    expect(h.registry.releases).toEqual([]);
  });

  it('stays invalid for good once another instance took the id over', async () => {
    await h.lease.start();
    h.registry.renewAnswer = async () => {
      throw new CoordinatorLeaseLostError('coord-1', 'instance-a', 'instance-b');
    };
    await expect(h.lease.renew()).rejects.toBeInstanceOf(CoordinatorLeaseLostError);
    expect(h.lease.valid).toBe(false);
    h.registry.renewAnswer = async () => undefined;
    await h.lease.renew();
    expect(h.registry.renewals).toHaveLength(1);
    expect(h.lease.valid).toBe(false);
    expect(h.logs.some((l) => l.level === 'error' && /taken over/.test(l.message))).toBe(true);
    await h.lease.stop();
    expect(h.registry.releases).toEqual([]);
  });

  it('stop releases the id and leaves the lease invalid', async () => {
    await h.lease.start();
    await h.lease.stop();
    expect(h.registry.releases).toEqual([['coord-1', 'instance-a']]);
    expect(h.lease.valid).toBe(false);
  });

  describe('heartbeat', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it(`renews ${HEARTBEATS_PER_LEASE} times per lease`, async () => {
      await h.lease.start();
      await jest.advanceTimersByTimeAsync(LEASE_MS);
      expect(h.registry.renewals).toHaveLength(HEARTBEATS_PER_LEASE);
      await h.lease.stop();
      await jest.advanceTimersByTimeAsync(LEASE_MS);
      expect(h.registry.renewals).toHaveLength(HEARTBEATS_PER_LEASE);
    });
  });
});
