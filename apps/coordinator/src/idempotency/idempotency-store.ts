// What the write path knows of idempotency records
// (docs/architecture.md#one-write-hop-by-hop, step 3).
//
// Protocol, for a request carrying a client idempotency key:
//   const result = await store.claim(scopeKey, fingerprint, IDEMPOTENCY_CLAIM_TTL_MS_DEFAULT);
//   'done'        -> compare fingerprints (a mismatch is the caller's INVALID_ARGUMENT), then
//                    answer the stored response with is_duplicate = true;
//   'in_progress' -> a duplicate is being written right now: do not write (the caller answers,
//                    e.g. ABORTED / retry later, or polls);
//   'claimed'     -> write; on success complete(claim, response, IDEMPOTENCY_TTL_MS_DEFAULT),
//                    on failure release(claim) so that a retry may write.
//
// Laws:
// - claim is atomic: of any number of concurrent claims of a free key exactly one is
//   'claimed'; the others see 'in_progress' (or 'done') with the first claim's fingerprint.
// - complete and release act only through the claim that is still the key's current one:
//   when a claim outlived its TTL and another request claimed the key, the stale claim can
//   neither overwrite nor release the new one (they resolve false).
// - A record disappears after its TTL: a claim after the claim TTL (the writer died), a
//   response after the response TTL (retries later than that write again).

/** How long a stored response answers retries: the seed's 24 h. */
export const IDEMPOTENCY_TTL_MS_DEFAULT = 24 * 60 * 60_000;
/**
 * How long a claim holds the key while its write runs. Longer than any write deadline, so a
 * live write keeps it; short, so a coordinator that died mid-write blocks retries briefly.
 */
export const IDEMPOTENCY_CLAIM_TTL_MS_DEFAULT = 60_000;

/** The right to write one request and then complete or release its record. */
export interface IdempotencyClaim {
  scopeKey: string;
  fingerprint: string;
  /** Unique per claim: tells this claim from a later one of the same key. */
  token: string;
}

export type ClaimResult =
  | { state: 'claimed'; claim: IdempotencyClaim }
  | { state: 'in_progress'; fingerprint: string }
  | { state: 'done'; fingerprint: string; response: Buffer };

export interface IdempotencyStore {
  /** Claims `scopeKey` for `ttlMs` if free; else says who holds it. */
  claim(scopeKey: string, fingerprint: string, ttlMs: number): Promise<ClaimResult>;
  /**
   * Stores the response for `ttlMs`. Resolves false, storing nothing, when another claim
   * holds the key now; true otherwise (also when this claim had expired and the key is free).
   */
  complete(claim: IdempotencyClaim, response: Buffer, ttlMs: number): Promise<boolean>;
  /** Drops this claim if it is still in progress; resolves whether it did. */
  release(claim: IdempotencyClaim): Promise<boolean>;
  /** Resolves when the store answers (readiness); throws IdempotencyUnavailableError. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The scope of one client idempotency key: `idempotency:{tenant}:{key}:{idempotency key}`,
 * each part percent-encoded so that a ':' inside a part cannot make two scopes collide.
 */
export function idempotencyScopeKey(tenantId: string, key: string, idempotencyKey: string): string {
  return ['idempotency', tenantId, key, idempotencyKey].map(encodeURIComponent).join(':');
}

export function checkTtlMs(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`idempotency TTL must be a positive integer of ms, got ${ttlMs}`);
  }
}
