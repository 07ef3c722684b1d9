// The structured form of a quorum failure (coordinator.proto's QuorumFailure): the coordinator
// packs it into the status details of the call that failed, and clients unpack it from there,
// so achieved, required and each replica's failure never have to be parsed out of the message.
import { coordinatorV1, type googleRpc } from '@pairdb/proto';
import { findDetail, packDetail, type StatusDetail } from './grpc-error';

export const QUORUM_FAILURE_TYPE_NAME = 'pairdb.coordinator.v1.QuorumFailure';

export interface ReplicaFailureDetails {
  readonly nodeId: string;
  /** A gRPC status code name, e.g. `UNAVAILABLE`. */
  readonly code: string;
  readonly message: string;
}

export interface QuorumFailureDetails {
  readonly operation: string;
  readonly achieved: number;
  readonly required: number;
  readonly replicas: readonly ReplicaFailureDetails[];
}

export function packQuorumFailure(failure: QuorumFailureDetails): StatusDetail {
  const bytes = coordinatorV1.QuorumFailure.encode({
    operation: failure.operation,
    achieved: failure.achieved,
    required: failure.required,
    replicas: failure.replicas.map((r) => ({ ...r })),
  }).finish();
  return packDetail(QUORUM_FAILURE_TYPE_NAME, bytes);
}

export function unpackQuorumFailure(
  status: googleRpc.Status | undefined,
): QuorumFailureDetails | undefined {
  return findDetail(status, QUORUM_FAILURE_TYPE_NAME, (bytes) =>
    coordinatorV1.QuorumFailure.decode(bytes),
  );
}
