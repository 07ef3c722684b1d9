// Errors raised for bad input given to this library. Decoding errors live with the byte grammar
// in encoding.ts; clock exhaustion lives with the clock in hlc.ts.

/**
 * A caller passed an actor, counter or version set that breaks this library's rules (empty
 * actor, counter outside 1..2^63-1, duplicate actor, unsorted siblings...). Apps map it to
 * gRPC INVALID_ARGUMENT when the value came from a client.
 */
export class VersionArgumentError extends Error {
  override readonly name = 'VersionArgumentError';
}
