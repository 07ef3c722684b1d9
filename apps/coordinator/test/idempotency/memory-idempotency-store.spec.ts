import { MemoryIdempotencyStore, idempotencyScopeKey } from '../../src/idempotency';
import { idempotencyStoreContract } from './idempotency-store.contract';

describe('MemoryIdempotencyStore', () => {
  let store: MemoryIdempotencyStore;

  beforeEach(() => {
    store = new MemoryIdempotencyStore();
  });

  afterEach(() => store.close());

  idempotencyStoreContract(() => store);

  it('drops the least recently used record beyond its entry bound', async () => {
    const bounded = new MemoryIdempotencyStore({ maxEntries: 2 });
    await bounded.claim('a', 'fp', 60_000);
    await bounded.claim('b', 'fp', 60_000);
    await bounded.claim('c', 'fp', 60_000);
    expect((await bounded.claim('a', 'fp', 60_000)).state).toBe('claimed');
    expect((await bounded.claim('c', 'fp', 60_000)).state).toBe('in_progress');
  });
});

describe('idempotencyScopeKey', () => {
  it('keeps parts containing ":" from colliding', () => {
    expect(idempotencyScopeKey('a:b', 'c', 'k')).not.toBe(idempotencyScopeKey('a', 'b:c', 'k'));
    expect(idempotencyScopeKey('t', 'k', 'i')).toBe('idempotency:t:k:i');
  });
});
