// Tenant settings on the request path: an LRU cache in front of the metadata store (TTL 5 min
// by default), refreshed at once on this coordinator's own updates. Other coordinators'
// updates are seen within the TTL, and at once when this coordinator takes a new ring version
// (a replication-factor change completes with one: docs/architecture.md#membership-and-migrations).
import { LRUCache } from 'lru-cache';
import type { MetadataStore, Tenant } from '../metadata';

export const TENANT_CACHE_TTL_MS_DEFAULT = 5 * 60_000;
export const TENANT_CACHE_ENTRIES_MAX_DEFAULT = 10_000;

export interface TenantCacheEvents {
  onHit?(): void;
  onMiss?(): void;
}

export class TenantCache {
  private readonly cache: LRUCache<string, Tenant>;
  /** One metadata read per tenant at a time, however many requests miss together. */
  private readonly loading = new Map<string, Promise<Tenant>>();
  /** Bumped by clear(): a read begun before it must not refill the cache after it. */
  private generation = 0;
  private readonly ringAtLeast: ((ringVersion: number) => Promise<void>) | undefined;

  constructor(
    private readonly store: MetadataStore,
    options: {
      ttlMs?: number;
      entriesMax?: number;
      /** Brings the ring up to at least the given version (RingRouter.catchUp). */
      ringAtLeast?: (ringVersion: number) => Promise<void>;
    } = {},
    private readonly events: TenantCacheEvents = {},
  ) {
    this.ringAtLeast = options.ringAtLeast;
    this.cache = new LRUCache<string, Tenant>({
      max: options.entriesMax ?? TENANT_CACHE_ENTRIES_MAX_DEFAULT,
      ttl: options.ttlMs ?? TENANT_CACHE_TTL_MS_DEFAULT,
    });
  }

  /** Throws TenantNotFoundError (not cached: a tenant created later is found at once). */
  async get(tenantId: string): Promise<Tenant> {
    const cached = this.cache.get(tenantId);
    if (cached) {
      this.events.onHit?.();
      return cached;
    }
    this.events.onMiss?.();
    const generation = this.generation;
    let loading = this.loading.get(tenantId);
    if (!loading) {
      loading = this.load(tenantId).finally(() => this.loading.delete(tenantId));
      this.loading.set(tenantId, loading);
    }
    const tenant = await loading;
    if (generation === this.generation) this.cache.set(tenantId, tenant);
    return tenant;
  }

  /**
   * Reads the tenant, then the ring version, and catches the ring up to it: the tenant may have
   * been created just after a node joined with no migration (no tenant existed then), and its
   * keys must never be placed under a ring without that node.
   */
  private async load(tenantId: string): Promise<Tenant> {
    const tenant = await this.store.getTenant(tenantId);
    if (this.ringAtLeast) await this.ringAtLeast(await this.store.getRingVersion());
    return tenant;
  }

  /** Records a tenant this coordinator just created or updated. */
  put(tenant: Tenant): void {
    this.cache.set(tenant.tenantId, tenant);
  }

  invalidate(tenantId: string): void {
    this.cache.delete(tenantId);
  }

  /** Forgets every tenant, and any read still under way. */
  clear(): void {
    this.generation++;
    this.cache.clear();
    this.loading.clear();
  }
}
