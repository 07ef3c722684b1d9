// The coordinator's inbound edge from storage nodes: a storage reply becomes a domain reply
// (version sets and clocks, checked as they are built) and a gRPC status becomes a classified
// ReplicaFailure. A reply that cannot be read is that replica's `corrupt` failure, never an
// exception escaping into a request path.
import { status } from '@grpc/grpc-js';
import type { storageV1 } from '@pairdb/proto';
import { readContext, type VersionVector } from '@pairdb/vectorclock';
import {
  isNotAnOwnerRefusal,
  versionSetFromWire,
  versionVectorFromWire,
} from '@pairdb/wire-contract';
import { ReplicaFailure, type ReplicaFailureKind } from './replica-failure';
import type { ReplicaOperationKind, ReplicaReply } from './replica-transport';

/** A storage node's answer to one operation, as the Exchange stream carries it. */
export type StorageOutcome = storageV1.ExchangeResult['outcome'];

const KIND_OF_STATUS: Partial<Record<status, ReplicaFailureKind>> = {
  [status.UNAVAILABLE]: 'unreachable',
  [status.CANCELLED]: 'unreachable',
  [status.DEADLINE_EXCEEDED]: 'timed-out',
  [status.RESOURCE_EXHAUSTED]: 'overloaded',
  [status.INVALID_ARGUMENT]: 'refused',
  [status.OUT_OF_RANGE]: 'refused',
  [status.FAILED_PRECONDITION]: 'refused',
  [status.NOT_FOUND]: 'refused',
  [status.ALREADY_EXISTS]: 'refused',
  [status.PERMISSION_DENIED]: 'refused',
  [status.UNAUTHENTICATED]: 'refused',
  [status.UNIMPLEMENTED]: 'refused',
  [status.DATA_LOSS]: 'damaged',
  [status.ABORTED]: 'fenced',
};

/** A gRPC status from (or about) a storage node, as a classified failure. */
export function failureFromStatus(nodeId: string, code: number, message: string): ReplicaFailure {
  // Placed on a node no ring version it knows assigns the key: like a stale ring, a reload helps.
  if (isNotAnOwnerRefusal(code, message)) return new ReplicaFailure(nodeId, 'fenced', message);
  return new ReplicaFailure(nodeId, KIND_OF_STATUS[code as status] ?? 'failed', message);
}

/** The domain reply to an operation of `kind`; throws a ReplicaFailure for anything else. */
export function replyFromStorage(
  nodeId: string,
  kind: ReplicaOperationKind,
  outcome: StorageOutcome,
): ReplicaReply {
  if (!outcome) throw new ReplicaFailure(nodeId, 'corrupt', 'empty reply');
  if (outcome.$case === 'error') {
    throw failureFromStatus(nodeId, outcome.value.code, outcome.value.message);
  }
  if (outcome.$case !== kind) {
    throw new ReplicaFailure(nodeId, 'corrupt', `expected a ${kind} reply, got ${outcome.$case}`);
  }
  try {
    switch (outcome.$case) {
      case 'read': {
        const { found, versions } = outcome.value;
        return {
          kind: 'read',
          versions: found && versions ? versionSetFromWire('versions', versions) : undefined,
        };
      }
      case 'write':
      case 'delete':
        return { kind: outcome.$case, clock: replicaClock(outcome.value) };
      case 'repair':
        return { kind: 'repair' };
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ReplicaFailure(nodeId, 'corrupt', `malformed ${kind} reply: ${reason}`);
  }
}

/**
 * The read context a replica reports after a write or delete: its `clock`, or, from a node that
 * predates reply_clock_only and sends its whole version set, that set's read context.
 */
function replicaClock(reply: storageV1.WriteResponse | storageV1.DeleteResponse): VersionVector {
  if (reply.versions) return readContext(versionSetFromWire('versions', reply.versions));
  return versionVectorFromWire('clock', reply.clock);
}
