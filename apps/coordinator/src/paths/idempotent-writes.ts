// Client idempotency keys (docs/architecture.md#one-write-hop-by-hop, step 3): the first request
// with a key claims it atomically and writes; a retry gets the stored answer marked as a duplicate;
// a concurrent duplicate waits for the first to finish instead of writing again; a different
// request under the same key is refused. A failed write releases its claim so a retry writes.
import { createHash } from 'node:crypto';
import {
  IDEMPOTENCY_CLAIM_TTL_MS_DEFAULT,
  IDEMPOTENCY_TTL_MS_DEFAULT,
  idempotencyScopeKey,
  type IdempotencyStore,
} from '../idempotency';
import { IdempotencyKeyReusedError, InvalidArgumentError } from '../errors';

/** Longest idempotency key: a UUID or a client's request id fits many times over. */
export const IDEMPOTENCY_KEY_LENGTH_MAX = 256;
/** How often a concurrent duplicate checks whether the first request finished. */
const DUPLICATE_POLL_MS = 10;

export class DuplicateInProgressError extends Error {
  constructor(idempotencyKey: string) {
    super(`a request with idempotency_key ${JSON.stringify(idempotencyKey)} is still in progress`);
    this.name = 'DuplicateInProgressError';
  }
}

export interface IdempotentRequest {
  readonly tenantId: string;
  readonly key: string;
  readonly idempotencyKey: string;
  /** Everything that makes the request what it is (operation, value, context). */
  readonly fingerprintParts: readonly (string | Uint8Array)[];
}

export interface IdempotencyCodec<T> {
  encode(response: T): Buffer;
  decode(bytes: Buffer): T;
}

export class IdempotentWrites {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly options: { responseTtlMs?: number; claimTtlMs?: number; waitMs: number },
  ) {}

  /**
   * Runs `write` once per idempotency key. Resolves to the response and whether it is a
   * stored one (a duplicate).
   */
  async run<T>(
    request: IdempotentRequest,
    codec: IdempotencyCodec<T>,
    write: () => Promise<T>,
  ): Promise<{ response: T; duplicate: boolean }> {
    if (request.idempotencyKey.length > IDEMPOTENCY_KEY_LENGTH_MAX) {
      throw new InvalidArgumentError(
        'idempotency_key',
        request.idempotencyKey,
        `is longer than ${IDEMPOTENCY_KEY_LENGTH_MAX} characters`,
      );
    }
    const scope = idempotencyScopeKey(request.tenantId, request.key, request.idempotencyKey);
    const fingerprint = fingerprintOf(request.fingerprintParts);
    const deadline = Date.now() + this.options.waitMs;
    for (;;) {
      const claimed = await this.store.claim(
        scope,
        fingerprint,
        this.options.claimTtlMs ?? IDEMPOTENCY_CLAIM_TTL_MS_DEFAULT,
      );
      if (claimed.state !== 'claimed' && claimed.fingerprint !== fingerprint) {
        throw new IdempotencyKeyReusedError(request.idempotencyKey);
      }
      if (claimed.state === 'done')
        return { response: codec.decode(claimed.response), duplicate: true };
      if (claimed.state === 'in_progress') {
        if (Date.now() >= deadline) throw new DuplicateInProgressError(request.idempotencyKey);
        await new Promise((resolve) => setTimeout(resolve, DUPLICATE_POLL_MS));
        continue;
      }
      let response: T;
      try {
        response = await write();
      } catch (error) {
        await this.store.release(claimed.claim).catch(() => false);
        throw error;
      }
      await this.store.complete(
        claimed.claim,
        codec.encode(response),
        this.options.responseTtlMs ?? IDEMPOTENCY_TTL_MS_DEFAULT,
      );
      return { response, duplicate: false };
    }
  }
}

function fingerprintOf(parts: readonly (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  }
  return hash.digest('hex');
}
