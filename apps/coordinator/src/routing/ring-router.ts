// The coordinator's view of the ring: a HashRing over the storage nodes that own data (active
// and draining), loaded at start, refreshed every 30 s and at once when the metadata store
// announces a ring-version change (LISTEN/NOTIFY).
import { HashRing, keyToken, type RingNode } from '@pairdb/hashring';
import type { Logger } from '@pairdb/service-runtime';
import type { MetadataStore, StorageNode } from '../metadata';
import type { ReplicaNode } from '../replicas/replica-transport';
import type { Placement, PlacementSource } from './placement';

export const RING_REFRESH_INTERVAL_MS_DEFAULT = 30_000;
/** Nodes past the replicas that may hold a hint: enough to ride out a few failures at once. */
export const STAND_INS_MAX = 3;

/** Node states whose replicas serve reads and writes. */
const SERVING_STATUSES = ['active', 'draining'] as const;

interface RingMember extends RingNode, ReplicaNode {}

export class RingRouter implements PlacementSource {
  private ring = new HashRing<RingMember>([]);
  private version = -1;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly store: MetadataStore,
    private readonly logger: Logger,
    private readonly refreshIntervalMs = RING_REFRESH_INTERVAL_MS_DEFAULT,
  ) {}

  get ringVersion(): number {
    return this.version;
  }

  get size(): number {
    return this.ring.size;
  }

  members(): readonly RingMember[] {
    return this.ring.nodes;
  }

  /** Loads the ring and starts following changes. */
  async start(): Promise<void> {
    await this.refresh();
    this.unsubscribe = await this.store.onRingChange((version) => {
      if (version !== this.version) void this.refresh();
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

  placementOf(tenantId: string, key: string, replicationFactor: number): Placement {
    const ring = this.ring;
    const ordered = ring
      .preferenceList(keyToken(tenantId, key), replicationFactor + STAND_INS_MAX)
      .map((id) => ring.node(id));
    return {
      replicas: ordered.slice(0, replicationFactor),
      standIns: ordered.slice(replicationFactor),
    };
  }

  private async load(): Promise<void> {
    try {
      const snapshot = await this.store.getRing();
      if (snapshot.ringVersion === this.version) return;
      const members = snapshot.nodes
        .filter((node) => (SERVING_STATUSES as readonly string[]).includes(node.status))
        .map(toMember);
      this.ring = new HashRing(members);
      this.logger.info(
        { ringVersion: snapshot.ringVersion, nodes: members.map((m) => m.nodeId) },
        'ring loaded',
      );
      this.version = snapshot.ringVersion;
    } catch (error) {
      this.logger.warn(
        { err: (error as Error).message },
        'ring refresh failed; keeping the current ring',
      );
    }
  }
}

function toMember(node: StorageNode): RingMember {
  return {
    nodeId: node.nodeId,
    virtualNodes: node.virtualNodes,
    address: `${node.host}:${node.port}`,
  };
}
