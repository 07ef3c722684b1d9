// A tenant's conflict policy and its value in the storage protocol (storage.proto's
// ConflictPolicy enum). `lww` keeps one value per key, the greatest dot; `siblings` keeps every
// concurrent value.
import { storageV1 } from '@pairdb/proto';
import { InvalidFieldError } from './invalid-field-error';

export type ConflictPolicy = 'lww' | 'siblings';

const POLICY_TO_WIRE: Record<ConflictPolicy, storageV1.ConflictPolicy> = {
  lww: storageV1.ConflictPolicy.CONFLICT_POLICY_LWW,
  siblings: storageV1.ConflictPolicy.CONFLICT_POLICY_SIBLINGS,
};

export function conflictPolicyToWire(policy: ConflictPolicy): storageV1.ConflictPolicy {
  return POLICY_TO_WIRE[policy];
}

/** UNSPECIFIED (a sender that left the field out) is `lww`, the default policy. */
export function conflictPolicyFromWire(
  field: string,
  policy: storageV1.ConflictPolicy,
): ConflictPolicy {
  switch (policy) {
    case storageV1.ConflictPolicy.CONFLICT_POLICY_SIBLINGS:
      return 'siblings';
    case storageV1.ConflictPolicy.CONFLICT_POLICY_LWW:
    case storageV1.ConflictPolicy.CONFLICT_POLICY_UNSPECIFIED:
      return 'lww';
    default:
      throw new InvalidFieldError(field, policy, 'is not a known conflict policy');
  }
}
