// The coordinator's named errors; grpc/status.ts maps each to a gRPC status in one place.

/** A missing, malformed or out-of-range request field (INVALID_ARGUMENT). */
export class InvalidArgumentError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    reason: string,
  ) {
    super(`${field} ${reason} (got ${describeValue(value)})`);
    this.name = 'InvalidArgumentError';
  }
}

/** A request bigger than a configured limit (RESOURCE_EXHAUSTED). */
export class TooLargeError extends Error {
  constructor(field: string, sizeBytes: number, limitBytes: number) {
    super(`${field} is ${sizeBytes} bytes, above the limit of ${limitBytes} bytes`);
    this.name = 'TooLargeError';
  }
}

/** Fewer replicas answered than the consistency level needs (UNAVAILABLE). */
export class QuorumError extends Error {
  constructor(
    readonly operation: string,
    readonly achieved: number,
    readonly required: number,
    readonly failures: readonly { nodeId: string; message: string }[],
  ) {
    super(
      `${operation} quorum not reached: ${achieved}/${required} replicas acknowledged` +
        (failures.length > 0
          ? ` (${failures.map((f) => `${f.nodeId}: ${f.message}`).join('; ')})`
          : ''),
    );
    this.name = 'QuorumError';
  }
}

/** The key has no live version (NOT_FOUND). */
export class KeyNotFoundError extends Error {
  constructor(
    readonly tenantId: string,
    readonly key: string,
  ) {
    super(`key ${JSON.stringify(key)} not found in tenant ${JSON.stringify(tenantId)}`);
    this.name = 'KeyNotFoundError';
  }
}

/** No storage node is in the ring (UNAVAILABLE). */
export class NoStorageNodesError extends Error {
  constructor() {
    super('no active storage nodes in the ring: add one with AddStorageNode');
    this.name = 'NoStorageNodesError';
  }
}

/** A request whose idempotency key was used before for a different request (INVALID_ARGUMENT). */
export class IdempotencyKeyReusedError extends InvalidArgumentError {
  constructor(idempotencyKey: string) {
    super('idempotency_key', idempotencyKey, 'was already used for a different request');
    this.name = 'IdempotencyKeyReusedError';
  }
}

/** The caller's deadline passed (DEADLINE_EXCEEDED). */
export class DeadlineError extends Error {
  constructor(operation: string, timeoutMs: number) {
    super(`${operation} did not finish within ${timeoutMs} ms`);
    this.name = 'DeadlineError';
  }
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > 64 ? `${JSON.stringify(value.slice(0, 64))}...` : JSON.stringify(value);
  }
  if (typeof value === 'bigint') return value.toString();
  return String(value);
}
