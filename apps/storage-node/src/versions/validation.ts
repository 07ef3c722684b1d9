// Request limits a storage node enforces on its own, whatever the coordinator checked. The
// tenant id rule is the one the coordinator applies too (validateTenantId, @pairdb/wire-contract).
import { InvalidFieldError } from '@pairdb/wire-contract';
import { NODE_ID_BYTES_MAX } from './engine-keys';

/** Keys are opaque UTF-8 strings of at most 1 KiB (docs/architecture.md#data-model). */
export const KEY_BYTES_MAX_DEFAULT = 1024;
/** Values up to 1 MiB by default; larger values belong in a blob store. */
export const VALUE_BYTES_MAX_DEFAULT = 1024 * 1024;

export interface RequestLimits {
  readonly keyBytesMax: number;
  readonly valueBytesMax: number;
}

/** A missing or malformed request field (INVALID_ARGUMENT). */
export class InvalidRequestError extends InvalidFieldError {}

/** A request bigger than a configured limit: RESOURCE_EXHAUSTED, not INVALID_ARGUMENT. */
export class RequestTooLargeError extends Error {
  constructor(
    readonly field: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(`${field} is ${sizeBytes} bytes, above the limit of ${limitBytes} bytes`);
    this.name = 'RequestTooLargeError';
  }
}

export function validateKey(key: string, limits: RequestLimits): void {
  if (key.length === 0) throw new InvalidRequestError('key', key, 'is required');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > limits.keyBytesMax) {
    throw new InvalidRequestError('key', key, `is ${bytes} bytes, above ${limits.keyBytesMax}`);
  }
}

export function validateValue(value: Uint8Array, limits: RequestLimits): void {
  if (value.length > limits.valueBytesMax) {
    throw new RequestTooLargeError('value', value.length, limits.valueBytesMax);
  }
}

/** A hint's target node id goes into the hint key behind one length byte (engine-keys.ts). */
export function validateHintTarget(target: { readonly nodeId: string }): void {
  if (Buffer.byteLength(target.nodeId, 'utf8') > NODE_ID_BYTES_MAX) {
    throw new InvalidRequestError(
      'hint_for.node_id',
      target.nodeId,
      `is longer than ${NODE_ID_BYTES_MAX} bytes`,
    );
  }
}

/**
 * Runs `check` on one element of a repeated field, naming the element in the error it throws:
 * a batch item's `key` becomes `items[3].key`, so the caller learns which item is wrong.
 */
export function checkElement(field: string, check: () => void): void {
  try {
    check();
  } catch (error) {
    if (error instanceof InvalidFieldError) {
      throw new InvalidRequestError(`${field}.${error.field}`, error.value, error.reason);
    }
    if (error instanceof RequestTooLargeError) {
      throw new RequestTooLargeError(`${field}.${error.field}`, error.sizeBytes, error.limitBytes);
    }
    throw error;
  }
}
