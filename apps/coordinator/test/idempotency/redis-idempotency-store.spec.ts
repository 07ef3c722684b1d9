// The IdempotencyStore contract on real Redis (PAIRDB_TEST_REDIS_URL, or a redis:7
// container). Each run writes under its own random key prefix and deletes it afterwards.
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import {
  IdempotencyRecordCorruptError,
  IdempotencyUnavailableError,
  RedisIdempotencyStore,
} from '../../src/idempotency';
import {
  REDIS_SERVICE,
  describeWithService,
  planService,
  startService,
  type RunningService,
} from '../support/test-services';
import { idempotencyStoreContract } from './idempotency-store.contract';

jest.setTimeout(60_000);

const plan = planService(REDIS_SERVICE);

describeWithService('RedisIdempotencyStore', plan, () => {
  const keyPrefix = `pairdb-test-${randomBytes(6).toString('hex')}:`;
  let server: RunningService;
  let store: RedisIdempotencyStore;
  let raw: Redis;

  beforeAll(async () => {
    server = await startService(REDIS_SERVICE, plan);
    store = new RedisIdempotencyStore({ url: server.url, keyPrefix });
    raw = new Redis(server.url);
  });

  afterAll(async () => {
    const keys = await raw?.keys(`${keyPrefix}*`);
    if (keys?.length) await raw.del(...keys);
    await raw?.quit();
    await store?.close();
    await server?.stop();
  });

  idempotencyStoreContract(() => store);

  it('stores records under its key prefix with a PX expiry', async () => {
    const before = Date.now();
    await store.claim('scope-ttl', 'fp', 30_000);
    const ttlMs = await raw.pttl(`${keyPrefix}scope-ttl`);
    // The expiry has run down by at most the time these two calls took, however long that was
    // (plus 1 ms: both clocks count whole milliseconds).
    const spentMs = Date.now() - before;
    expect(ttlMs).toBeGreaterThanOrEqual(30_000 - spentMs - 1);
    expect(ttlMs).toBeLessThanOrEqual(30_000);
  });

  it('reports a corrupt stored record instead of treating it as free', async () => {
    await raw.set(`${keyPrefix}scope-corrupt`, Buffer.from([1, 2, 3]));
    const claiming = store.claim('scope-corrupt', 'fp', 30_000);
    await expect(claiming).rejects.toBeInstanceOf(IdempotencyRecordCorruptError);
    expect(await raw.getBuffer(`${keyPrefix}scope-corrupt`)).toEqual(Buffer.from([1, 2, 3]));
  });
});

describe('RedisIdempotencyStore on an unreachable Redis', () => {
  it('fails calls with IdempotencyUnavailableError', async () => {
    // Port 1 on loopback: nothing listens there, so every connection attempt is refused.
    const store = new RedisIdempotencyStore({ host: '127.0.0.1', port: 1, maxRetries: 0 });
    try {
      await expect(store.claim('scope', 'fp', 1_000)).rejects.toBeInstanceOf(
        IdempotencyUnavailableError,
      );
      await expect(store.ping()).rejects.toBeInstanceOf(IdempotencyUnavailableError);
    } finally {
      await store.close();
    }
  });
});
