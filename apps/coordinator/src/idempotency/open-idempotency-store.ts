// Choosing the idempotency store at start-up: Redis when a URL or host is configured, else
// the in-process cache (docs/architecture.md#processes).
import type { IdempotencyStore } from './idempotency-store';
import { MemoryIdempotencyStore, type MemoryIdempotencyOptions } from './memory-idempotency-store';
import { RedisIdempotencyStore, type RedisConnectionOptions } from './redis-idempotency-store';

export interface IdempotencyStoreOptions {
  /** The `redis` section; used when it names a URL or a host. */
  redis?: RedisConnectionOptions;
  memory?: MemoryIdempotencyOptions;
}

export function openIdempotencyStore(options: IdempotencyStoreOptions): {
  store: IdempotencyStore;
  kind: 'redis' | 'memory';
} {
  const redis = options.redis;
  if (redis && (redis.url || redis.host)) {
    return { store: new RedisIdempotencyStore(redis), kind: 'redis' };
  }
  return { store: new MemoryIdempotencyStore(options.memory), kind: 'memory' };
}
