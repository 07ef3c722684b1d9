// The coordinator's named errors; grpc/status.ts maps each to a gRPC status in one place.
import { InvalidFieldError } from '@pairdb/wire-contract';
import type { ReplicaFailure } from './replicas/replica-failure';

/** A missing, malformed or out-of-range request field (INVALID_ARGUMENT). */
export class InvalidArgumentError extends InvalidFieldError {}

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
    /** `read`, `write` or `delete`. */
    readonly operation: string,
    readonly achieved: number,
    readonly required: number,
    readonly failures: readonly ReplicaFailure[],
  ) {
    super(
      `${operation} quorum not reached: ${achieved}/${required} replicas acknowledged` +
        (failures.length > 0
          ? ` (${failures.map((f) => `${f.nodeId}: ${f.reason}`).join('; ')})`
          : ''),
    );
    this.name = new.target.name;
  }
}

/**
 * A quorum that failed because replicas refused for lack of resources, their disk guard above
 * all (RESOURCE_EXHAUSTED, as docs/architecture.md's error table has it): retrying will not
 * help until an operator frees space.
 */
export class OverloadedQuorumError extends QuorumError {}

/**
 * The quorum error for these failures. With mixed failures the answer is RESOURCE_EXHAUSTED
 * only when the overloaded replicas alone keep the quorum out of reach: had every other failed
 * replica acknowledged, the quorum would still have failed. Otherwise it is UNAVAILABLE, since
 * the same request can succeed once the unreachable or slow replicas are back.
 */
export function quorumError(
  operation: string,
  achieved: number,
  required: number,
  failures: readonly ReplicaFailure[],
): QuorumError {
  const overloaded = failures.filter((f) => f.kind === 'overloaded').length;
  const recoverable = failures.filter((f) => f.kind !== 'overloaded' && f.kind !== 'missing');
  if (overloaded > 0 && achieved + recoverable.length < required) {
    return new OverloadedQuorumError(operation, achieved, required, failures);
  }
  return new QuorumError(operation, achieved, required, failures);
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

/** This coordinator's registry lease lapsed; it serves again once renewed (UNAVAILABLE). */
export class LeaseLapsedError extends Error {
  constructor() {
    super(
      "this coordinator's lease in the metadata store lapsed, so it may have missed a ring " +
        'change; it serves again once the lease is renewed (try another coordinator)',
    );
    this.name = 'LeaseLapsedError';
  }
}

/** This coordinator could not load a ring as new as a tenant it just read (UNAVAILABLE). */
export class RingBehindError extends Error {
  constructor(known: number, needed: number) {
    super(
      `this coordinator's ring is at version ${known} but the metadata store is at ${needed} ` +
        'and reloading failed; retry (or try another coordinator)',
    );
    this.name = 'RingBehindError';
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

/** StartRepair on a coordinator configured without anti-entropy (FAILED_PRECONDITION). */
export class AntiEntropyDisabledError extends Error {
  constructor() {
    super(
      'anti-entropy is disabled on this coordinator (anti_entropy.enabled: false), so it ' +
        'cannot start a repair; enable it or ask a coordinator that runs it',
    );
    this.name = 'AntiEntropyDisabledError';
  }
}
