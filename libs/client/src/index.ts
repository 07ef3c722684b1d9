// @pairdb/client: a typed promise client for PairDB's public API (the coordinator), with
// deadlines on every call, retries only where repeating is safe, and named errors.
export {
  ADDRESS_DEFAULT,
  PairDBClient,
  TIMEOUT_MS_DEFAULT,
  type ClientOptions,
} from './pairdb-client';
export {
  AlreadyExistsError,
  CancelledError,
  ClientUsageError,
  ConflictError,
  ConnectionError,
  DeadlineExceededError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  OverloadedQuorumError,
  PairDBError,
  QuorumError,
  ResourceExhaustedError,
  UnavailableError,
  type ReplicaFailure,
  type StatusName,
} from './errors';
export {
  BACKOFF_BASE_MS_DEFAULT,
  BACKOFF_MAX_MS_DEFAULT,
  RETRY_ATTEMPTS_DEFAULT,
  RETRY_ATTEMPTS_MAX,
  type RetryOptions,
} from './retry-policy';
export { PROBE_TIMEOUT_MS_DEFAULT, probeStorageNode } from './storage-node-probe';
export {
  CONFLICT_RESOLUTIONS,
  CONSISTENCY_LEVELS,
  type AddedStorageNode,
  type AddStorageNodeRequest,
  type CallOptions,
  type ClockEntry,
  type ConflictResolution,
  type Consistency,
  type CreateTenantOptions,
  type DeleteResult,
  type Migration,
  type NodeChange,
  type ReadOptions,
  type ReadResult,
  type SetReplicationFactorOptions,
  type Sibling,
  type StorageNode,
  type StorageNodeHealth,
  type Tenant,
  type VectorClock,
  type WriteOptions,
  type WriteResult,
} from './types';
