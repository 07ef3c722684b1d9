// @pairdb/hashring: consistent hashing for PairDB (docs/architecture.md#the-ring-and-placement).
// Pure computation: no I/O, no gRPC. Tokens are SHA-256 based (the placement contract is in
// token.ts).

export {
  DuplicateNodeIdError,
  EmptyNodeIdError,
  EmptyRingError,
  HashRingError,
  InvalidReplicaCountError,
  InvalidTokenError,
  InvalidVirtualNodeCountError,
  UnknownNodeError,
} from './errors';
export {
  DEFAULT_VIRTUAL_NODES,
  HashRing,
  VIRTUAL_NODES_MAX,
  VIRTUAL_NODES_MIN,
  type RingNode,
} from './hash-ring';
export { diffRings, type RangeMove } from './ring-diff';
export {
  KEY_SEPARATOR,
  TOKEN_BITS,
  TOKEN_MAX,
  TOKEN_SPACE,
  VIRTUAL_NODE_SEPARATOR,
  assertToken,
  keyToken,
  tokenOf,
  virtualNodeToken,
  type Token,
} from './token';
export {
  DIGEST_SEGMENT_BITS,
  DIGEST_SEGMENT_WIDTH,
  DIGEST_SEGMENTS,
  digestBucketsOf,
  segmentOfToken,
  type DigestBucket,
} from './digest-segments';
export {
  rangeContains,
  rangeFraction,
  rangeWidth,
  type ReplicatedRange,
  type TokenRange,
} from './token-range';
export {
  placementOfLayout,
  RingPlacement,
  writtenSets,
  type LayoutChange,
  type LayoutChangeType,
  type LayoutMember,
  type MemberState,
  type ReplicaSets,
  type RingLayout,
  type WrittenSets,
} from './ring-layout';
