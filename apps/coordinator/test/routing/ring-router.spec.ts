import { HashRing, keyToken } from '@pairdb/hashring';
import { createLogger } from '@pairdb/service-runtime';
import type { MetadataStore, StorageNode } from '../../src/metadata';
import { RingRouter } from '../../src/routing/ring-router';

function storageNode(index: number): StorageNode {
  return {
    nodeId: `node-${index}`,
    host: '127.0.0.1',
    port: 7000 + index,
    status: 'active',
    virtualNodes: 16,
    createdAtUnixMs: 0,
    updatedAtUnixMs: 0,
  };
}

/** Just enough of a metadata store for the router: a fixed ring, no change notifications. */
function fixedRing(nodes: StorageNode[]): MetadataStore {
  return {
    getRing: async () => ({ ringVersion: 1, nodes }),
    onRingChange: async () => async () => undefined,
  } as unknown as MetadataStore;
}

describe('RingRouter placement', () => {
  const nodes = Array.from({ length: 8 }, (_, index) => storageNode(index));
  let router: RingRouter;

  beforeAll(async () => {
    router = new RingRouter(fixedRing(nodes), createLogger({ name: 't', level: 'silent' }));
    await router.start();
  });
  afterAll(() => router.stop());

  it('offers at most three stand-ins for hints, the nodes next in ring order', () => {
    const ring = new HashRing(nodes.map((node) => ({ nodeId: node.nodeId, virtualNodes: 16 })));
    for (const key of ['a', 'b', 'cart:42', 'user/7']) {
      const placement = router.placementOf('t', key, 3);
      const { replicas } = placement.reads;
      const { standIns } = placement;
      expect(placement.writes).toEqual([placement.reads]);
      expect(replicas.map((node) => node.nodeId)).toEqual(
        ring.preferenceList(keyToken('t', key), 3),
      );
      expect([...replicas, ...standIns].map((node) => node.nodeId)).toEqual(
        ring.preferenceList(keyToken('t', key), 6),
      );
    }
  });

  it('offers only the nodes left when fewer than three remain past the replicas', () => {
    const { reads, standIns } = router.placementOf('t', 'k', 6);
    const { replicas } = reads;
    expect(replicas).toHaveLength(6);
    expect(standIns).toHaveLength(2);
  });
});

describe('RingRouter.catchUp', () => {
  const logger = createLogger({ name: 't', level: 'silent' });

  /** A store whose ring version is whatever `versions` yields next, one per read. */
  function versionsThenFail(versions: number[]) {
    let reads = 0;
    const store = {
      getRing: async () => {
        const ringVersion = versions[reads++];
        if (ringVersion === undefined) throw new Error('metadata store down');
        return { ringVersion, nodes: [storageNode(0)] };
      },
      onRingChange: async () => async () => undefined,
    } as unknown as MetadataStore;
    return { store, reads: () => reads };
  }

  it('reloads until the view is at the version asked for', async () => {
    const { store, reads } = versionsThenFail([1, 2, 3]);
    const router = new RingRouter(store, logger);
    await router.start();
    await router.catchUp(3);
    expect(router.ringVersion).toBe(3);
    expect(reads()).toBe(3);
    await router.stop();
  });

  it('does not reload when the view is already new enough', async () => {
    const { store, reads } = versionsThenFail([5]);
    const router = new RingRouter(store, logger);
    await router.start();
    await router.catchUp(4);
    expect(reads()).toBe(1);
    await router.stop();
  });

  it('fails UNAVAILABLE-style, naming both versions, when reloads cannot catch up', async () => {
    const { store } = versionsThenFail([1]);
    const router = new RingRouter(store, logger);
    await router.start();
    await expect(router.catchUp(9)).rejects.toThrow(
      "this coordinator's ring is at version 1 but the metadata store is at 9",
    );
    await router.stop();
  });
});
