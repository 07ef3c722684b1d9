// IdempotencyStore in this process (docs/architecture.md#processes: no Redis URL configured). A
// bounded LRU with a TTL per record. JavaScript runs each method's check-and-set without
// interleaving, which makes claims atomic. Only one coordinator sees these records; and when the
// bound is reached the least recently used record is dropped, so a retry arriving after its record
// was evicted writes again (the same as after its TTL).
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import {
  checkTtlMs,
  type ClaimResult,
  type IdempotencyClaim,
  type IdempotencyStore,
} from './idempotency-store';

/** Records kept at most: about 100 MB with 1 KiB keys and responses. */
export const MEMORY_IDEMPOTENCY_ENTRIES_MAX_DEFAULT = 100_000;

const CLAIM_TOKEN_BYTES = 16;

interface MemoryRecord {
  state: 'in_progress' | 'done';
  token: string;
  fingerprint: string;
  response: Buffer;
}

export interface MemoryIdempotencyOptions {
  /** Default MEMORY_IDEMPOTENCY_ENTRIES_MAX_DEFAULT. */
  maxEntries?: number;
}

export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly records: LRUCache<string, MemoryRecord>;

  constructor(options: MemoryIdempotencyOptions = {}) {
    this.records = new LRUCache({
      max: options.maxEntries ?? MEMORY_IDEMPOTENCY_ENTRIES_MAX_DEFAULT,
    });
  }

  async claim(scopeKey: string, fingerprint: string, ttlMs: number): Promise<ClaimResult> {
    checkTtlMs(ttlMs);
    const current = this.records.get(scopeKey);
    if (current?.state === 'done') {
      return {
        state: 'done',
        fingerprint: current.fingerprint,
        response: Buffer.from(current.response),
      };
    }
    if (current) return { state: 'in_progress', fingerprint: current.fingerprint };
    const token = randomBytes(CLAIM_TOKEN_BYTES).toString('hex');
    const record: MemoryRecord = {
      state: 'in_progress',
      token,
      fingerprint,
      response: Buffer.alloc(0),
    };
    this.records.set(scopeKey, record, { ttl: ttlMs });
    return { state: 'claimed', claim: { scopeKey, fingerprint, token } };
  }

  async complete(claim: IdempotencyClaim, response: Buffer, ttlMs: number): Promise<boolean> {
    checkTtlMs(ttlMs);
    const current = this.records.get(claim.scopeKey);
    if (current && current.token !== claim.token) return false;
    this.records.set(
      claim.scopeKey,
      {
        state: 'done',
        token: claim.token,
        fingerprint: claim.fingerprint,
        response: Buffer.from(response),
      },
      { ttl: ttlMs },
    );
    return true;
  }

  async release(claim: IdempotencyClaim): Promise<boolean> {
    const current = this.records.get(claim.scopeKey);
    if (current?.state !== 'in_progress' || current.token !== claim.token) return false;
    this.records.delete(claim.scopeKey);
    return true;
  }

  /** Always answers: the records live in this process. */
  ping(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.records.clear();
  }
}
