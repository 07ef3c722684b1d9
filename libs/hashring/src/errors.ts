// Errors of the hash ring. Bad ring membership (duplicate or empty node ids, vnode counts out of
// range) and bad arguments (tokens, replica counts) are reported as these named errors so the
// coordinator's single error mapping can turn them into INVALID_ARGUMENT and friends.

/** Base class of every error this library throws. */
export class HashRingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Two ring members share a node id. */
export class DuplicateNodeIdError extends HashRingError {
  constructor(readonly nodeId: string) {
    super(`duplicate node id ${JSON.stringify(nodeId)} in ring membership`);
  }
}

/** A ring member has an empty node id. */
export class EmptyNodeIdError extends HashRingError {
  constructor() {
    super('node id must not be empty');
  }
}

/** A ring member asks for a virtual node count that is not an integer in the allowed range. */
export class InvalidVirtualNodeCountError extends HashRingError {
  constructor(
    readonly nodeId: string,
    readonly virtualNodes: number,
    readonly minimum: number,
    readonly maximum: number,
  ) {
    super(
      `node ${JSON.stringify(nodeId)}: virtualNodes must be an integer in ` +
        `${minimum}..${maximum}, got ${virtualNodes}`,
    );
  }
}

/** A replica count (preference list length, replication factor) that is not allowed. */
export class InvalidReplicaCountError extends HashRingError {
  constructor(
    readonly count: number,
    readonly minimum: number,
  ) {
    super(`replica count must be an integer >= ${minimum}, got ${count}`);
  }
}

/** A token outside 0 .. 2^64 - 1, or not a bigint. */
export class InvalidTokenError extends HashRingError {
  constructor(readonly token: unknown) {
    super(`token must be a bigint in 0..2^64-1, got ${String(token)}`);
  }
}

/** A lookup that needs at least one node on a ring that has none. */
export class EmptyRingError extends HashRingError {
  constructor() {
    super('the ring has no nodes');
  }
}

/** A lookup of a node id that is not a ring member. */
export class UnknownNodeError extends HashRingError {
  constructor(readonly nodeId: string) {
    super(`node ${JSON.stringify(nodeId)} is not on the ring`);
  }
}
