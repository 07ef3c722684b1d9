// What a tenant id may be, for every service that takes one: the coordinator checks it on each
// request, and a storage node checks it again before it becomes part of an engine key.
//
// Only ASCII letters, digits, `_`, `-` and `.`, so a tenant id is as many bytes as characters:
// TENANT_ID_LENGTH_MAX bytes fit the storage node's one-byte tenant length inside its engine
// keys (docs/format/storage-node-keys.md), with room to spare.
import { InvalidFieldError } from './invalid-field-error';

/** Long enough for any naming scheme (a UUID is 36); short, because it is in every engine key. */
export const TENANT_ID_LENGTH_MAX = 128;

/** Letters, digits, `_`, `-` and `.`, starting with a letter or digit. */
export const TENANT_ID_PATTERN = new RegExp(
  `^[A-Za-z0-9][A-Za-z0-9_.-]{0,${TENANT_ID_LENGTH_MAX - 1}}$`,
);

export function validateTenantId(tenantId: string): void {
  if (tenantId === '') throw new InvalidFieldError('tenant_id', tenantId, 'is required');
  if (!TENANT_ID_PATTERN.test(tenantId)) {
    throw new InvalidFieldError(
      'tenant_id',
      tenantId,
      `must be 1-${TENANT_ID_LENGTH_MAX} letters, digits, "_", "-" or ".", ` +
        'starting with a letter or digit',
    );
  }
}
