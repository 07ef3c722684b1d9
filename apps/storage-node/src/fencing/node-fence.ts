// A storage node's fence (docs/architecture.md#fencing): the lowest ring version it accepts on
// data requests and, per migration, the highest driver epoch it recorded. Both only ever rise.
// Every data request is admitted here before it touches the engine; a raise is answered only
// once it is durable in the fence file (fence-file.ts), so a restarted node refuses whatever it
// refused before the crash.
//
// Two states are kept: `current`, which admission reads and which a change updates at once (so
// refusals start as early as possible), and `durable`, what the file holds. A change is answered
// only once `durable` covers it; file writes run one at a time, each writing the latest
// `current`, so concurrent raises share writes and never reorder.
import { InvalidRequestError } from '../versions/validation';
import { StaleMigrationEpochError, StaleRingVersionError } from './errors';
import {
  FENCE_MIGRATIONS_MAX,
  MIGRATION_ID_BYTES_MAX,
  readFenceFile,
  writeFenceFile,
  type FenceState,
} from './fence-file';

/** The migration driver a copy or cleanup request comes from. */
export interface MigrationFence {
  readonly migrationId: string;
  readonly epoch: bigint;
}

/** What admission reads from a request: the ring version it was computed under, its driver. */
export interface FencedRequest {
  readonly ringVersion: bigint;
  readonly fence?: MigrationFence;
}

/** Why a request was refused; a metric label. */
export type FenceRefusal = 'stale_ring_version' | 'stale_migration_epoch';

export interface NodeFenceEvents {
  onRefused?(reason: FenceRefusal): void;
}

export class NodeFence {
  private current: FenceState;
  private durable: FenceState;
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    state: FenceState,
    private readonly events: NodeFenceEvents,
  ) {
    this.current = state;
    this.durable = state;
  }

  /** Loads the fence of data directory `dir`; a damaged file throws CorruptFenceFileError. */
  static open(dir: string, events: NodeFenceEvents = {}): NodeFence {
    return new NodeFence(dir, readFenceFile(dir), events);
  }

  get minRingVersion(): bigint {
    return this.current.minRingVersion;
  }

  /** The epoch recorded for `migrationId`, if the node keeps one. */
  epochOf(migrationId: string): bigint | undefined {
    return this.current.epochs.get(migrationId);
  }

  /**
   * Resolves when `request` may touch the engine; rejects with StaleRingVersionError or
   * StaleMigrationEpochError (or InvalidRequestError for a malformed fence). A driver epoch
   * above the recorded one is recorded, durably, before the request goes on.
   */
  async admit(request: FencedRequest): Promise<void> {
    if (request.ringVersion < this.current.minRingVersion) {
      this.events.onRefused?.('stale_ring_version');
      throw new StaleRingVersionError(request.ringVersion, this.current.minRingVersion);
    }
    if (!request.fence) return;
    this.checkEpoch(request.fence);
    const durableEpoch = this.durable.epochs.get(request.fence.migrationId);
    if (durableEpoch !== undefined && request.fence.epoch <= durableEpoch) return;
    this.recordEpoch(request.fence);
    await this.persist();
  }

  /**
   * Raises the minimum to `ringVersion` (a lower one changes nothing) and records `fence`'s
   * epoch; resolves with the minimum once it is durable.
   */
  async raise(ringVersion: bigint, fence?: MigrationFence): Promise<bigint> {
    if (fence) {
      this.checkEpoch(fence);
      this.recordEpoch(fence);
    }
    if (ringVersion > this.current.minRingVersion) {
      this.current = { ...this.current, minRingVersion: ringVersion };
    }
    await this.persist();
    return this.durable.minRingVersion;
  }

  /** Validates `fence` and refuses an epoch below the recorded one. */
  private checkEpoch(fence: MigrationFence): void {
    const idBytes = Buffer.byteLength(fence.migrationId, 'utf8');
    if (idBytes === 0) {
      throw new InvalidRequestError('fence.migration_id', fence.migrationId, 'is required');
    }
    if (idBytes > MIGRATION_ID_BYTES_MAX) {
      throw new InvalidRequestError(
        'fence.migration_id',
        fence.migrationId,
        `is ${idBytes} bytes, above ${MIGRATION_ID_BYTES_MAX}`,
      );
    }
    const recorded = this.current.epochs.get(fence.migrationId);
    if (recorded !== undefined && fence.epoch < recorded) {
      this.events.onRefused?.('stale_migration_epoch');
      throw new StaleMigrationEpochError(fence.migrationId, fence.epoch, recorded);
    }
  }

  /** Records a checked epoch as the migration's newest; the oldest migration beyond the cap goes. */
  private recordEpoch(fence: MigrationFence): void {
    const recorded = this.current.epochs.get(fence.migrationId);
    if (recorded !== undefined && recorded >= fence.epoch) return;
    const epochs = new Map(this.current.epochs);
    epochs.delete(fence.migrationId);
    epochs.set(fence.migrationId, fence.epoch);
    for (const id of epochs.keys()) {
      if (epochs.size <= FENCE_MIGRATIONS_MAX) break;
      epochs.delete(id);
    }
    this.current = { ...this.current, epochs };
  }

  /** Resolves once the file holds `current` as it is now (or something newer). */
  private persist(): Promise<void> {
    const write = this.writes.then(async () => {
      const state = this.current;
      if (state === this.durable) return;
      await writeFenceFile(this.dir, state);
      this.durable = state;
    });
    // A failed write fails its callers; the next change writes `current` again.
    this.writes = write.catch(() => undefined);
    return write;
  }
}
