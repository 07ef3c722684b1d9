// Public entry of the storage engine: the node service imports only from here.
export { Engine, KEY_BYTES_MAX, VALUE_BYTES_MAX } from './engine';
export type {
  AppliedWrite,
  BatchOp,
  EngineStats,
  IterateRange,
  LevelStats,
  Snapshot,
} from './engine';
export { crc32 } from './crc32';
export { readFileIfPresent, replaceFileDurably } from './durable-file';
export { ENGINE_DEFAULTS } from './engine-options';
export type { EngineLogger, EngineOptions } from './engine-options';
export type { SyncPolicy } from './commit-log';
export type { DiskFreeBytesSource } from './disk-guard';
export {
  BackgroundError,
  CorruptionError,
  DiskFullError,
  EngineClosedError,
  EngineError,
  InvalidArgumentError,
  LockedError,
  WriteQueueFullError,
} from './errors';
export { WRITE_QUEUE_BYTES_MAX_DEFAULT, WRITE_QUEUE_LENGTH_MAX_DEFAULT } from './write-queue';
