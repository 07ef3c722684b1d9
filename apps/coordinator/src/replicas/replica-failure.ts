// How one replica failed an operation, classified where its reply or status arrives
// (storage-replies.ts), so request paths reason about kinds of failure and never about status
// numbers. The client sees each replica's failure in a quorum error (grpc/status.ts).

export type ReplicaFailureKind =
  /** No connection, a broken stream, or the node is not serving (starting, draining). */
  | 'unreachable'
  /** No reply within the request's timeout. */
  | 'timed-out'
  /** The node refused for lack of resources: its disk guard tripped, or too much in flight. */
  | 'overloaded'
  /** The node refused the request itself as bad; resending it will not help. */
  | 'refused'
  /**
   * The node is well but its stored copy of the key is damaged (DATA_LOSS: a bad block or bytes
   * that do not decode); a repair with the reconciled set replaces it.
   */
  | 'damaged'
  /**
   * The node refused the request's ring version as older than its minimum (ABORTED), or refused
   * a write for a key no ring version it knows assigns to it (FAILED_PRECONDITION, "not an
   * owner"): this coordinator is behind a migration step; it reloads the ring and retries once.
   */
  | 'fenced'
  /** The node's reply was malformed: it could not be decoded, or answered another operation. */
  | 'corrupt'
  /** No storage node was there to hold the replica (fewer nodes than the replication factor). */
  | 'missing'
  /** Anything else: a failure nobody classified (a bug on either side). */
  | 'failed';

export class ReplicaFailure extends Error {
  constructor(
    /** The node, or `-` for a `missing` replica. */
    readonly nodeId: string,
    readonly kind: ReplicaFailureKind,
    /** What went wrong, without the node id. */
    readonly reason: string,
  ) {
    super(`${nodeId}: ${reason}`);
    this.name = 'ReplicaFailure';
  }
}

/** Whether any replica refused the ring version: reloading the ring may fix the request. */
export function anyFenced(failures: readonly ReplicaFailure[]): boolean {
  return failures.some((failure) => failure.kind === 'fenced');
}

/** Whether `error` says the node did not answer (as opposed to answering with a refusal). */
export function isUnreachableFailure(error: unknown): boolean {
  return (
    error instanceof ReplicaFailure && (error.kind === 'unreachable' || error.kind === 'timed-out')
  );
}

/** The failure as classified, or an unexpected error (a bug) as a `failed` one. */
export function replicaFailureOf(nodeId: string, error: unknown): ReplicaFailure {
  if (error instanceof ReplicaFailure) return error;
  return new ReplicaFailure(
    nodeId,
    'failed',
    error instanceof Error ? error.message : String(error),
  );
}

/** The failure that stands for replicas no storage node was there to hold. */
export function missingReplicas(placed: number, replicationFactor: number): ReplicaFailure {
  return new ReplicaFailure(
    '-',
    'missing',
    `only ${placed} storage nodes for replication factor ${replicationFactor}`,
  );
}

/**
 * Whether the failure says the node itself is unwell (so health tracking should suspect it), as
 * opposed to the node judging one request bad.
 */
export function isNodeFailure(failure: ReplicaFailure): boolean {
  return (
    failure.kind !== 'refused' &&
    failure.kind !== 'missing' &&
    failure.kind !== 'damaged' &&
    failure.kind !== 'fenced'
  );
}
