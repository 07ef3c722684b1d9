import { storageV1 } from '@pairdb/proto';
import { conflictPolicyFromWire, conflictPolicyToWire, InvalidFieldError } from '../src';

describe('conflict policies on the storage wire', () => {
  it('maps each policy to its enum value in storage.proto and back', () => {
    expect(conflictPolicyToWire('lww')).toBe(1);
    expect(conflictPolicyToWire('siblings')).toBe(2);
    expect(conflictPolicyFromWire('conflict_policy', 1)).toBe('lww');
    expect(conflictPolicyFromWire('conflict_policy', 2)).toBe('siblings');
  });

  it('reads a sender that left the field out as the default, lww', () => {
    expect(
      conflictPolicyFromWire(
        'conflict_policy',
        storageV1.ConflictPolicy.CONFLICT_POLICY_UNSPECIFIED,
      ),
    ).toBe('lww');
  });

  it('names the field and value of a policy it does not know', () => {
    expect(() => conflictPolicyFromWire('conflict_policy', 7 as storageV1.ConflictPolicy)).toThrow(
      new InvalidFieldError('conflict_policy', 7, 'is not a known conflict policy'),
    );
    expect(() => conflictPolicyFromWire('conflict_policy', 7 as storageV1.ConflictPolicy)).toThrow(
      'conflict_policy is not a known conflict policy (got 7)',
    );
  });
});
