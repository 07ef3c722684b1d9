// @pairdb/wire-contract: what the coordinator, the storage nodes and the client agree on at
// their wire edges, in one place so no copy can drift: version sets and conflict policies in
// the storage protocol, the tenant id rule, how an error becomes a gRPC status with structured
// details, and the quorum failure those details carry.
export { describeValue, InvalidFieldError, QUOTED_VALUE_CHARS_MAX } from './invalid-field-error';
export { TENANT_ID_LENGTH_MAX, TENANT_ID_PATTERN, validateTenantId } from './tenant-id';
export {
  CONFLICT_POLICIES,
  conflictPolicyFromWire,
  conflictPolicyToWire,
  type ConflictPolicy,
} from './conflict-policy';
export {
  dotFromWire,
  dotToWire,
  versionSetFromWire,
  versionSetToWire,
  versionVectorFromWire,
  versionVectorToWire,
} from './version-set-wire';
export {
  buildGrpcError,
  findDetail,
  packDetail,
  STATUS_DETAILS_KEY,
  statusDetailsOf,
  TYPE_URL_PREFIX,
  type StatusDetail,
} from './grpc-error';
export {
  packQuorumFailure,
  QUORUM_FAILURE_TYPE_NAME,
  unpackQuorumFailure,
  type QuorumFailureDetails,
  type ReplicaFailureDetails,
} from './quorum-failure-details';
