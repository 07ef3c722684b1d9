// @pairdb/wire-contract: what the coordinator, the storage nodes and the client agree on at
// their wire edges, in one place so no copy can drift: version sets and conflict policies in
// the storage protocol, the tenant id rule, how an error becomes a gRPC status with structured
// details, the quorum failure those details carry, and what a storage node's fencing refusals
// mean.
export { InvalidFieldError } from './invalid-field-error';
export { TENANT_ID_LENGTH_MAX, validateTenantId } from './tenant-id';
export {
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
  STATUS_DETAILS_KEY,
  statusDetailsOf,
  type StatusDetail,
} from './grpc-error';
export {
  packQuorumFailure,
  unpackQuorumFailure,
  type QuorumFailureDetails,
  type ReplicaFailureDetails,
} from './quorum-failure-details';
export {
  isNotAnOwnerRefusal,
  isStaleRingVersionRefusal,
  NOT_AN_OWNER_CODE,
  NOT_AN_OWNER_MESSAGE_PREFIX,
  STALE_MIGRATION_EPOCH_CODE,
  STALE_RING_VERSION_CODE,
} from './storage-refusals';
export {
  LAYOUT_REPLICATION_FACTOR_MAX,
  ringLayoutFromWire,
  ringLayoutToWire,
} from './ring-layout-wire';
