import { TenantNotFoundError, type MetadataStore, type Tenant } from '../../src/metadata';
import { TenantCache } from '../../src/tenants/tenant-cache';

function fakeStore(tenants: Tenant[]) {
  const reads: string[] = [];
  const store = {
    async getTenant(tenantId: string) {
      reads.push(tenantId);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const tenant = tenants.find((t) => t.tenantId === tenantId);
      if (!tenant) throw new TenantNotFoundError(tenantId);
      return tenant;
    },
  } as unknown as MetadataStore;
  return { store, reads };
}

const tenant = (tenantId: string, replicationFactor = 3): Tenant => ({
  tenantId,
  replicationFactor,
  conflictResolution: 'lww',
  version: 1,
  createdAtUnixMs: 0,
  updatedAtUnixMs: 0,
});

describe('tenant cache', () => {
  it('catches the ring up to the version read after a missed tenant, before answering it', async () => {
    const { store } = fakeStore([tenant('a')]);
    let storeVersion = 7;
    store.getRingVersion = async () => storeVersion;
    const caughtUp: number[] = [];
    const cache = new TenantCache(store, {
      ringAtLeast: async (ringVersion) => {
        caughtUp.push(ringVersion);
      },
    });
    await cache.get('a');
    expect(caughtUp).toEqual([7]);
    storeVersion = 8;
    await cache.get('a');
    // A hit: the tenant was read, and the ring caught up, when it was first missed.
    expect(caughtUp).toEqual([7]);
  });

  it('fails the read when the ring cannot catch up, and caches nothing', async () => {
    const { store, reads } = fakeStore([tenant('a')]);
    store.getRingVersion = async () => 3;
    let fail = true;
    const cache = new TenantCache(store, {
      ringAtLeast: async () => {
        if (fail) throw new Error('ring behind');
      },
    });
    await expect(cache.get('a')).rejects.toThrow('ring behind');
    fail = false;
    await cache.get('a');
    expect(reads).toEqual(['a', 'a']);
  });

  it('reads the store once per tenant, counting a miss then hits', async () => {
    const { store, reads } = fakeStore([tenant('a')]);
    const counts = { hits: 0, misses: 0 };
    const cache = new TenantCache(
      store,
      {},
      { onHit: () => counts.hits++, onMiss: () => counts.misses++ },
    );
    await cache.get('a');
    await cache.get('a');
    await cache.get('a');
    expect(reads).toEqual(['a']);
    expect(counts).toEqual({ hits: 2, misses: 1 });
  });

  it('shares one store read between concurrent misses', async () => {
    const { store, reads } = fakeStore([tenant('a')]);
    const cache = new TenantCache(store);
    await Promise.all([cache.get('a'), cache.get('a'), cache.get('a')]);
    expect(reads).toEqual(['a']);
  });

  it('does not cache an unknown tenant, so one created later is found at once', async () => {
    const tenants: Tenant[] = [];
    const { store, reads } = fakeStore(tenants);
    const cache = new TenantCache(store);
    await expect(cache.get('late')).rejects.toBeInstanceOf(TenantNotFoundError);
    tenants.push(tenant('late'));
    expect((await cache.get('late')).tenantId).toBe('late');
    expect(reads).toEqual(['late', 'late']);
  });

  it('serves an update recorded with put and reloads after invalidate and after the TTL', async () => {
    const tenants = [tenant('a', 3)];
    const { store, reads } = fakeStore(tenants);
    const cache = new TenantCache(store, { ttlMs: 30 });
    await cache.get('a');
    cache.put(tenant('a', 5));
    expect((await cache.get('a')).replicationFactor).toBe(5);
    cache.invalidate('a');
    expect((await cache.get('a')).replicationFactor).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await cache.get('a');
    expect(reads).toEqual(['a', 'a', 'a']);
  });
});
