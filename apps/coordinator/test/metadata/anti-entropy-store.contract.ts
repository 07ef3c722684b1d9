// The anti-entropy half of the MetadataStore contract (docs/architecture.md#anti-entropy): the
// one-row lease with its epoch, and pass records, run against PGlite and PostgreSQL.
import {
  InvalidMetadataError,
  StaleAntiEntropyRunnerError,
  type AntiEntropyPass,
  type MetadataStore,
} from '../../src/metadata';

export interface AntiEntropyContractTarget {
  store: MetadataStore;
  peer: MetadataStore;
  /** Empties the pass tables and frees the lease (ANTI_ENTROPY_RESET_SQL). */
  reset(): Promise<void>;
}

export const ANTI_ENTROPY_RESET_SQL =
  'TRUNCATE anti_entropy_pass_nodes, anti_entropy_passes; ' +
  'UPDATE anti_entropy_lease SET runner_instance_id = NULL, lease_expires_at = NULL';

const LONG_LEASE_MS = 600_000;

function passOf(epoch: number, passId: string, overrides: Partial<AntiEntropyPass> = {}) {
  return {
    passId,
    runnerInstanceId: 'runner-a',
    epoch,
    ringVersion: 3,
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
  });
}
