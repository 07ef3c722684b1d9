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
// - FAILED_PRECONDITION with a message starting NOT_AN_OWNER_MESSAGE_PREFIX is answered for a
//   write, delete or repair of a key that no ring version the node holds a layout for assigns to
//   it: the sender's placement is wrong for the node, so, as for ABORTED, the coordinator reloads
//   its ring and retries once, and a hint holder sends the hint to the key's current owners. The
//   prefix tells it apart from the stale epoch, which shares the code.
import { status } from '@grpc/grpc-js';

export const STALE_RING_VERSION_CODE = status.ABORTED;
export const STALE_MIGRATION_EPOCH_CODE = status.FAILED_PRECONDITION;

export const NOT_AN_OWNER_CODE = status.FAILED_PRECONDITION;
export const NOT_AN_OWNER_MESSAGE_PREFIX = 'not an owner: ';

/** True when a storage node refused a write because no ring version it knows assigns it the key. */
export function isNotAnOwnerRefusal(
  code: number | undefined,
  message: string | undefined,
): boolean {
  return code === NOT_AN_OWNER_CODE && (message ?? '').startsWith(NOT_AN_OWNER_MESSAGE_PREFIX);
}

/** True when a storage node's status code says the request was computed under a stale ring. */
export function isStaleRingVersionRefusal(code: number | undefined): boolean {
  return code === STALE_RING_VERSION_CODE;
}
