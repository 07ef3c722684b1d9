// How request paths talk to storage nodes, in domain types only: an operation prepared once (and
// shared by every replica it goes to), sent to a node, answered with a domain reply or rejected
// with a classified ReplicaFailure (replica-failure.ts). This file and storage-replies.ts are
// the coordinator's edge to the storage protocol: all encoding and decoding happens here.
import { storageV1 } from '@pairdb/proto';
import type { Dot, VersionSet, VersionVector } from '@pairdb/vectorclock';
import {
  conflictPolicyToWire,
  dotToWire,
  versionSetToWire,
  versionVectorToWire,
  type ConflictPolicy,
} from '@pairdb/wire-contract';
import { encodeDeleteRequest, encodeWriteRequest } from './storage-request-encoding';

export type ReplicaOperationKind = 'write' | 'read' | 'delete' | 'repair';

/** A storage operation, protobuf-encoded once and reused for every replica. */
export interface PreparedOperation {
  readonly kind: ReplicaOperationKind;
  readonly bytes: Uint8Array;
}

export type ReplicaReply =
  /** The replica's read context after it applied the write or delete. */
  | { readonly kind: 'write' | 'delete'; readonly clock: VersionVector }
  /** undefined: the replica has nothing for the key. */
  | { readonly kind: 'read'; readonly versions: VersionSet | undefined }
  | { readonly kind: 'repair' };

export interface ReplicaNode {
  readonly nodeId: string;
  /** host:port of its gRPC server. */
  readonly address: string;
}

export interface ReplicaTransport {
  /** Resolves to the node's reply to `operation`; rejects with a ReplicaFailure. */
  send(node: ReplicaNode, operation: PreparedOperation, timeoutMs: number): Promise<ReplicaReply>;
  close(): Promise<void>;
}

export interface ReplicaWrite {
  readonly tenantId: string;
  readonly key: string;
  /** undefined for a delete (a tombstone). */
  readonly value: Uint8Array | undefined;
  /** The context the client read (empty for a blind write). */
  readonly context: VersionVector;
  readonly dot: Dot;
  readonly policy: ConflictPolicy;
  /** Set when the receiver is a stand-in keeping the write as a hint for this node. */
  readonly hintFor: ReplicaNode | undefined;
  /** The ring version the write was placed under; a node below it refuses (fencing). */
  readonly ringVersion: number;
}

/** A write or a delete; the reply carries only the replica's clock (reply_clock_only). */
export function prepareWrite(write: ReplicaWrite): PreparedOperation {
  const fields = {
    tenantId: write.tenantId,
    key: write.key,
    context: versionVectorToWire(write.context),
    dot: dotToWire(write.dot),
    conflictPolicy: conflictPolicyToWire(write.policy),
    hintFor: write.hintFor && { nodeId: write.hintFor.nodeId, address: write.hintFor.address },
    replyClockOnly: true,
    ringVersion: BigInt(write.ringVersion),
  };
  if (write.value === undefined) return { kind: 'delete', bytes: encodeDeleteRequest(fields) };
  const value = Buffer.from(write.value.buffer, write.value.byteOffset, write.value.byteLength);
  return { kind: 'write', bytes: encodeWriteRequest({ ...fields, value }) };
}

export function prepareRead(tenantId: string, key: string, ringVersion: number): PreparedOperation {
  const request = { tenantId, key, ringVersion: BigInt(ringVersion) };
  return { kind: 'read', bytes: storageV1.ReadRequest.encode(request).finish() };
}

/** Merges `versions` into the replica's set (DVVSet sync). */
export function prepareRepair(
  tenantId: string,
  key: string,
  versions: VersionSet,
  policy: ConflictPolicy,
  ringVersion: number,
): PreparedOperation {
  const request: storageV1.RepairRequest = {
    tenantId,
    key,
    versions: versionSetToWire(versions),
    conflictPolicy: conflictPolicyToWire(policy),
    hintFor: undefined,
    ringVersion: BigInt(ringVersion),
    fence: undefined,
  };
  return { kind: 'repair', bytes: storageV1.RepairRequest.encode(request).finish() };
}
