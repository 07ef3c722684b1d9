// How request paths talk to storage nodes, without knowing about gRPC: an operation encoded once
// (and shared by every replica it goes to), sent to a node, answered with the node's reply or
// a ReplicaError.
import { storageV1 } from '@pairdb/proto';
import { encodeDeleteRequest, encodeWriteRequest } from './storage-request-encoding';

export type ReplicaOperationKind = 'write' | 'read' | 'delete' | 'repair';

/** A storage operation, protobuf-encoded once and reused for every replica. */
export interface PreparedOperation {
  readonly kind: ReplicaOperationKind;
  readonly bytes: Uint8Array;
}

export type ReplicaReply =
  | { readonly kind: 'write'; readonly value: storageV1.WriteResponse }
  | { readonly kind: 'read'; readonly value: storageV1.ReadResponse }
  | { readonly kind: 'delete'; readonly value: storageV1.DeleteResponse }
  | { readonly kind: 'repair'; readonly value: storageV1.RepairResponse };

/** A replica failed the operation: its gRPC status code and message, and which node. */
export class ReplicaError extends Error {
  constructor(
    readonly nodeId: string,
    /** A google.rpc.Code value; 4 (DEADLINE_EXCEEDED) for a local timeout. */
    readonly code: number,
    /** What went wrong, without the node id. */
    readonly reason: string,
  ) {
    super(`${nodeId}: ${reason}`);
    this.name = 'ReplicaError';
  }
}

/** The failure text for a per-node list, without repeating the node id. */
export function failureReason(error: unknown): string {
  if (error instanceof ReplicaError) return error.reason;
  return error instanceof Error ? error.message : String(error);
}

export interface ReplicaNode {
  readonly nodeId: string;
  /** host:port of its gRPC server. */
  readonly address: string;
}

export interface ReplicaTransport {
  send(node: ReplicaNode, operation: PreparedOperation, timeoutMs: number): Promise<ReplicaReply>;
  close(): Promise<void>;
}

export function prepareWrite(request: storageV1.WriteRequest): PreparedOperation {
  return { kind: 'write', bytes: encodeWriteRequest(request) };
}

export function prepareDelete(request: storageV1.DeleteRequest): PreparedOperation {
  return { kind: 'delete', bytes: encodeDeleteRequest(request) };
}

export function prepareRead(request: storageV1.ReadRequest): PreparedOperation {
  return { kind: 'read', bytes: storageV1.ReadRequest.encode(request).finish() };
}

export function prepareRepair(request: storageV1.RepairRequest): PreparedOperation {
  return { kind: 'repair', bytes: storageV1.RepairRequest.encode(request).finish() };
}
