import { InvalidFieldError, TENANT_ID_LENGTH_MAX, validateTenantId } from '../src';

describe('tenant id rule', () => {
  it('accepts letters, digits, "_", "-" and "." up to 128 characters', () => {
    for (const id of ['default', 'acme-prod_2', 'a.b', '0', 'x'.repeat(128)]) {
      expect(() => validateTenantId(id)).not.toThrow();
    }
  });

  it.each([
    ['', 'tenant_id is required (got "")'],
    ['x'.repeat(129), 'tenant_id must be 1-128 letters'],
    ['.hidden', 'tenant_id must be 1-128 letters'],
    ['a/b', '(got "a/b")'],
    ['tenänt', '(got "tenänt")'],
    ['a b', '(got "a b")'],
  ])('rejects %j, naming the field and the value', (id, text) => {
    expect(() => validateTenantId(id)).toThrow(InvalidFieldError);
    expect(() => validateTenantId(id)).toThrow(text);
  });

  it('keeps every valid id within one length byte of a storage engine key', () => {
    // Valid ids are ASCII, so bytes equal characters: the longest one is 128 bytes.
    expect(TENANT_ID_LENGTH_MAX).toBe(128);
    expect(Buffer.byteLength('x'.repeat(TENANT_ID_LENGTH_MAX), 'utf8')).toBeLessThanOrEqual(255);
  });
});
