// Named errors of the idempotency store. IdempotencyUnavailableError maps to UNAVAILABLE
// (docs/architecture.md#errors); a corrupt record is reported with its key, never taken as absent.

export class IdempotencyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The idempotency store (Redis) cannot be reached or did not answer in time. */
export class IdempotencyUnavailableError extends IdempotencyError {
  constructor(detail: string, cause?: unknown) {
    super(`idempotency store unavailable: ${detail}`, { cause });
  }
}

/** A stored record does not follow the grammar of idempotency-record.ts. */
export class IdempotencyRecordCorruptError extends IdempotencyError {
  constructor(
    readonly storageKey: string,
    reason: string,
  ) {
    super(`idempotency record ${JSON.stringify(storageKey)} is corrupt: ${reason}`);
  }
}
