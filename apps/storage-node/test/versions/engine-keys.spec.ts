// The data key layout (docs/format/storage-node-keys.md) against the shared tenant id rule:
// every tenant id the rule accepts fits the key's one-byte tenant length and reads back intact.
import { TENANT_ID_LENGTH_MAX, validateTenantId } from '@pairdb/wire-contract';
import { decodeDataKey, encodeDataKey } from '../../src/versions/engine-keys';

describe('data keys and the tenant id rule', () => {
  it('round-trips the longest valid tenant id with its length in one byte', () => {
    const tenantId = 'T'.repeat(TENANT_ID_LENGTH_MAX);
    validateTenantId(tenantId);
    const key = encodeDataKey(tenantId, 'k');
    // 0x01, 8 token bytes, then the tenant length byte.
    expect(key[9]).toBe(128);
    expect(decodeDataKey(key)).toMatchObject({ tenantId, key: 'k' });
  });

  it('refuses to build a key whose tenant id the length byte cannot hold', () => {
    expect(() => encodeDataKey('t'.repeat(256), 'k')).toThrow(RangeError);
  });
});
