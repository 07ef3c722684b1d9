// Idempotency records of client writes (docs/architecture.md#one-write-hop-by-hop, step 3): on
// Redis, or in this process when no Redis is configured. Request paths use IdempotencyStore only.
export * from './idempotency-errors';
export * from './idempotency-store';
export {
  MEMORY_IDEMPOTENCY_ENTRIES_MAX_DEFAULT,
  MemoryIdempotencyStore,
  type MemoryIdempotencyOptions,
} from './memory-idempotency-store';
export {
  REDIS_DEFAULTS,
  RedisIdempotencyStore,
  type RedisConnectionOptions,
} from './redis-idempotency-store';
export { openIdempotencyStore, type IdempotencyStoreOptions } from './open-idempotency-store';
