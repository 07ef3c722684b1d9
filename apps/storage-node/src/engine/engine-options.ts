/**
 * Engine options, their defaults and their validation. Every limit that is not an option is a
 * named constant here or in the file that owns it.
 */
import { SyncPolicy } from './commit-log';
import { DiskFreeBytesSource, statfsFreeBytes } from './disk-guard';
import { InvalidArgumentError } from './errors';
import { WRITE_QUEUE_BYTES_MAX_DEFAULT, WRITE_QUEUE_LENGTH_MAX_DEFAULT } from './write-queue';

const MiB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface EngineLogger {
  info(details: object, message?: string): void;
  warn(details: object, message?: string): void;
  error(details: object, message?: string): void;
}

export interface EngineOptions {
  /** Data directory, created if missing; owned exclusively while open. */
  dir: string;
  /** When a write is acknowledged: after fsync (`always`), after write() (`interval`, `none`).
   * Default 'always'. */
  syncPolicy?: SyncPolicy;
  /** fsync period under `interval`. Default 10 ms. */
  syncIntervalMs?: number;
  /** Memtable size that triggers a flush to L0. Default 64 MiB. */
  memtableBytesMax?: number;
  /** Block cache capacity. Default 32 MiB. */
  blockCacheBytes?: number;
  /** SSTable readers kept open (file descriptors). Default 512. */
  maxOpenFiles?: number;
  /** L0 files that trigger an L0 -> L1 compaction. Default 4. */
  l0CompactionTrigger?: number;
  /** L0 files from which writes are delayed a little. Default 8. */
  l0SlowdownTrigger?: number;
  /** L0 files from which writes wait for compaction. Default 12. */
  l0StopTrigger?: number;
  /** Bytes of L1 that trigger an L1 -> L2 compaction. Default 10 MiB. */
  level1BytesMax?: number;
  /** Each level below L1 may hold this many times the bytes of the one above. Default 10. */
  levelSizeMultiplier?: number;
  /** Minimum age of a tombstone before compaction may drop it. Default 10 days. */
  tombstoneGraceMs?: number;
  /**
   * Asked as each flush or compaction is planned: while it answers true, no tombstone is dropped
   * whatever its age (the storage node holds them while a migration runs). Default: never held.
   */
  tombstonesHeld?: () => boolean;
  /** Writes fail with DiskFullError below this much free disk. Default 64 MiB; 0 disables. */
  diskFreeBytesMin?: number;
  /** Writes that may wait behind a stall; more are refused (WriteQueueFullError).
   * Default WRITE_QUEUE_LENGTH_MAX_DEFAULT (16384). */
  writeQueueLengthMax?: number;
  /** Bytes of writes that may wait behind a stall; more are refused (WriteQueueFullError).
   * Default WRITE_QUEUE_BYTES_MAX_DEFAULT (64 MiB). */
  writeQueueBytesMax?: number;
  /** Free-space probe for the disk guard. Default: statfs of `dir`. */
  diskFreeBytesSource?: DiskFreeBytesSource;
  /** Clock for tombstone times and the grace period (tests). Default Date.now. */
  now?: () => number;
  /** Called with the duration of each commit-log fsync round (histogram hook). */
  onFsync?: (seconds: number) => void;
  /** Target data block size of SSTables. Default 4096. */
  tableBlockBytes?: number;
  logger?: EngineLogger;
}

export type EngineSettings = Required<Omit<EngineOptions, 'onFsync' | 'tableBlockBytes'>> &
  Pick<EngineOptions, 'onFsync' | 'tableBlockBytes'>;

export const ENGINE_DEFAULTS = {
  syncPolicy: 'always',
  syncIntervalMs: 10,
  memtableBytesMax: 64 * MiB,
  blockCacheBytes: 32 * MiB,
  maxOpenFiles: 512,
  l0CompactionTrigger: 4,
  l0SlowdownTrigger: 8,
  l0StopTrigger: 12,
  level1BytesMax: 10 * MiB,
  levelSizeMultiplier: 10,
  tombstoneGraceMs: 10 * DAY_MS,
  diskFreeBytesMin: 64 * MiB,
  writeQueueLengthMax: WRITE_QUEUE_LENGTH_MAX_DEFAULT,
  writeQueueBytesMax: WRITE_QUEUE_BYTES_MAX_DEFAULT,
} as const;

const silentLogger: EngineLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export function resolveOptions(options: EngineOptions): EngineSettings {
  if (typeof options.dir !== 'string' || options.dir === '') {
    throw new InvalidArgumentError('engine option dir must be a non-empty path');
  }
  const settings: EngineSettings = {
    ...ENGINE_DEFAULTS,
    diskFreeBytesSource: statfsFreeBytes,
    now: Date.now,
    tombstonesHeld: () => false,
    logger: silentLogger,
    ...withoutUndefined(options),
    dir: options.dir,
  };
  if (!['always', 'interval', 'none'].includes(settings.syncPolicy)) {
    throw new InvalidArgumentError(`engine option syncPolicy: unknown ${settings.syncPolicy}`);
  }
  requireInteger(settings, 'syncIntervalMs', 1);
  requireInteger(settings, 'memtableBytesMax', 1);
  requireInteger(settings, 'blockCacheBytes', 1);
  requireInteger(settings, 'maxOpenFiles', 1);
  requireInteger(settings, 'l0CompactionTrigger', 1);
  requireInteger(settings, 'l0SlowdownTrigger', settings.l0CompactionTrigger);
  requireInteger(settings, 'l0StopTrigger', settings.l0SlowdownTrigger);
  requireInteger(settings, 'level1BytesMax', 1);
  requireInteger(settings, 'levelSizeMultiplier', 2);
  requireInteger(settings, 'tombstoneGraceMs', 0);
  requireInteger(settings, 'diskFreeBytesMin', 0);
  requireInteger(settings, 'writeQueueLengthMax', 1);
  requireInteger(settings, 'writeQueueBytesMax', 1);
  if (settings.tableBlockBytes !== undefined) requireInteger(settings, 'tableBlockBytes', 64);
  return settings;
}

type IntegerOption = {
  [K in keyof EngineSettings]-?: EngineSettings[K] extends number | undefined ? K : never;
}[keyof EngineSettings];

function requireInteger(settings: EngineSettings, name: IntegerOption, minimum: number): void {
  const value = settings[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw new InvalidArgumentError(
      `engine option ${name} must be an integer >= ${minimum}, got ${String(value)}`,
    );
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>;
}
