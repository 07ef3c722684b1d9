// What a storage node's refusal of a fenced request means on the wire (docs/architecture.md,
// fencing). The node's status table and the coordinator's reading of a replica's status both use
// these, so the two sides cannot drift:
//
// - ABORTED is answered only for a request whose ring version is below the node's minimum: the
//   sender's ring is stale, so it reloads the ring and retries once. No other storage-node
//   error maps to ABORTED.
// - FAILED_PRECONDITION is answered for a migration request whose driver epoch is below the one
//   the node recorded for that migration: another driver took the migration over, and the stale
//   one must stop, not retry.
import { status } from '@grpc/grpc-js';

export const STALE_RING_VERSION_CODE = status.ABORTED;
export const STALE_MIGRATION_EPOCH_CODE = status.FAILED_PRECONDITION;

/** True when a storage node's status code says the request was computed under a stale ring. */
export function isStaleRingVersionRefusal(code: number | undefined): boolean {
  return code === STALE_RING_VERSION_CODE;
}
