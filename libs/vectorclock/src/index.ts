// @pairdb/vectorclock: causality tracking for PairDB (docs/architecture.md#data-model). Plain
// domain types only; the apps convert to and from the protobuf messages.

export { VersionArgumentError } from './errors';
export {
  ACTOR_BYTES_MAX,
  COUNTER_MAX,
  COUNTER_MIN,
  type Dot,
  compareDots,
  dotsEqual,
  makeDot,
} from './dot';
export {
  type VersionOrder,
  VersionVector,
  compareVersionVectors,
  covers,
  descends,
  dominates,
  joinVersionVectors,
  versionVectorsEqual,
} from './version-vector';
export {
  EMPTY_VERSION_SET,
  type Sibling,
  type TombstoneSibling,
  type ValueSibling,
  type VersionSet,
  type WriteContent,
  collapseToWinner,
  isDeleted,
  isTombstone,
  liveValues,
  lwwWinner,
  makeSibling,
  makeVersionSet,
  readContext,
  sync,
  update,
  versionSetsEqual,
} from './dvvset';
export {
  ClockExhaustedError,
  ClockReadingError,
  HLC_LOGICAL_BITS,
  HybridLogicalClock,
  type HybridLogicalClockOptions,
  hlcWallMs,
} from './hlc';
export {
  type BoundedVersionSet,
  SIBLINGS_MAX,
  VECTOR_ENTRIES_MAX,
  type VersionSetBounds,
  applyBounds,
  capSiblings,
  pruneVersionVector,
} from './bounds';
export {
  FORMAT_VERSION_CURRENT,
  VersionSetDecodeError,
  decodeVersionSet,
  encodeVersionSet,
} from './encoding';
