// The coordinator's view of the ring (docs/architecture.md#membership-and-migrations): the
// storage nodes and the running migration of one ring version, loaded at start, refreshed every
// 30 s and at once when the metadata store announces a ring-version change (LISTEN/NOTIFY).
// Each load swaps in a new RingView, so a request computes its placement under exactly one
// version, and then tells the listener (the version barrier) that the version was taken up.
import type { Logger } from '@pairdb/service-runtime';
import { RingBehindError } from '../errors';
import type { MetadataStore, RingSnapshot } from '../metadata';
import type { ReplicaNode } from '../replicas/replica-transport';
import { RingView, type Placement, type PlacementSource } from './ring-view';

export const RING_REFRESH_INTERVAL_MS_DEFAULT = 30_000;
/** Reloads catchUp tries before giving up (a reload already retries nothing on its own). */
const CATCH_UP_RELOADS_MAX = 3;

export type RingViewListener = (view: RingView) => void;

export class RingRouter implements PlacementSource {
  private view = new RingView(-1, [], null);
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private refreshing: Promise<void> | undefined;
  private readonly listeners: RingViewListener[] = [];

  constructor(
    private readonly store: MetadataStore,
    private readonly logger: Logger,
    private readonly refreshIntervalMs = RING_REFRESH_INTERVAL_MS_DEFAULT,
  ) {}

  get ringVersion(): number {
    return this.view.ringVersion;
  }

  get size(): number {
    return this.view.size;
  }

  /** The version requests start under now. */
  get current(): RingView {
    return this.view;
  }

  members(): readonly ReplicaNode[] {
    return this.view.members();
  }

  /** Called after each newly loaded version is in place (not for a reload of the same one). */
  onView(listener: RingViewListener): void {
    this.listeners.push(listener);
  }

  /** Loads the ring and starts following changes. */
  async start(): Promise<void> {
    await this.refresh();
    this.unsubscribe = await this.store.onRingChange((version) => {
      if (version !== this.view.ringVersion) void this.refresh();
    });
    this.timer = setInterval(() => void this.refresh(), this.refreshIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.unsubscribe?.();
    await this.refreshing;
  }

  /** Reloads from the metadata store (coalesced: one reload at a time). */
  refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.load().finally(() => (this.refreshing = undefined));
    }
    return this.refreshing;
  }

  /**
   * Resolves once the view is at `ringVersion` or newer, reloading as needed; throws
   * RingBehindError if reloads keep failing. A tenant read at ring version V may have been
   * created after a node change at V or below, so its keys must be placed under V at least.
   */
  async catchUp(ringVersion: number): Promise<void> {
    for (let attempt = 0; this.view.ringVersion < ringVersion; attempt++) {
      if (attempt === CATCH_UP_RELOADS_MAX) {
        throw new RingBehindError(this.view.ringVersion, ringVersion);
      }
      await this.refresh();
    }
  }

  placementOf(tenantId: string, key: string, replicationFactor: number): Placement {
    return this.view.placementOf(tenantId, key, replicationFactor);
  }

  private async load(): Promise<void> {
    let snapshot: RingSnapshot;
    try {
      snapshot = await this.store.getRing();
    } catch (error) {
      this.logger.warn(
        { err: (error as Error).message },
        'ring refresh failed; keeping the current ring',
      );
      return;
    }
    // A version only grows; an older snapshot (a slow read racing a NOTIFY) is ignored.
    if (snapshot.ringVersion <= this.view.ringVersion) return;
    const change = snapshot.migration;
    this.view = new RingView(snapshot.ringVersion, snapshot.nodes, change);
    this.logger.info(
      {
        ringVersion: snapshot.ringVersion,
        nodes: this.view.members().map((m) => m.nodeId),
        migrationId: change?.migrationId,
        phase: change?.phase,
      },
      'ring loaded',
    );
    for (const listener of this.listeners) listener(this.view);
  }
}
