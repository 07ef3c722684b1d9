// Storage nodes faked in memory for the anti-entropy unit specs: digests per bucket of the range
// cut at the digest segments, as a node cuts (digestBucketsOf), scans, and RepairBatch merged with the DVVSet sync, refused like a node's fence
// (a ring version below the minimum, an epoch below the one recorded for the fence's id). Every
// call is recorded.
import { createHash } from 'node:crypto';
import { digestBucketsOf, keyToken, rangeContains, type TokenRange } from '@pairdb/hashring';
import {
  collapseToWinner,
  EMPTY_VERSION_SET,
  encodeVersionSet,
  sync,
  type VersionSet,
} from '@pairdb/vectorclock';
import type { ConflictPolicy } from '@pairdb/wire-contract';
import type { DriverFence, RangeDigest, ScannedEntry } from '../../src/grpc/storage-admin-client';
import { ReplicaFailure } from '../../src/replicas/replica-failure';
import type { ReplicaNode } from '../../src/replicas/replica-transport';

export interface ScanCall {
  readonly nodeId: string;
  readonly range: TokenRange;
  readonly keys: readonly string[];
}

export class FakeReplicas {
  /** node -> tenant -> key -> versions. */
  readonly data = new Map<string, Map<string, Map<string, VersionSet>>>();
  readonly scans: ScanCall[] = [];
  readonly digests: Array<{ nodeId: string; range: TokenRange }> = [];
  /** The repair horizon each digest answer carried. */
  readonly digestHorizons: Array<{ nodeId: string; range: TokenRange; repairHorizonMs: number }> =
    [];
  readonly repairs: Array<{ nodeId: string; tenantId: string; key: string }> = [];
  readonly refusals: string[] = [];
  /** MarkRangeRepaired calls, with the horizon each carried. */
  readonly marks: Array<{ nodeId: string; range: TokenRange; verifiedBeforeMs: number }> = [];
  minRingVersion = 0;
  /** The repair horizon each node's digest reports: its "clock", advanced by each digest. */
  private clockMs = 1_000;
  /** Per node and fence id, the highest epoch seen. */
  private readonly epochs = new Map<string, number>();
  readonly down = new Set<string>();

  put(nodeId: string, tenantId: string, key: string, versions: VersionSet): void {
    let tenants = this.data.get(nodeId);
    if (!tenants) this.data.set(nodeId, (tenants = new Map()));
    let keys = tenants.get(tenantId);
    if (!keys) tenants.set(tenantId, (keys = new Map()));
    keys.set(key, versions);
  }

  get(nodeId: string, tenantId: string, key: string): VersionSet | undefined {
    return this.data.get(nodeId)?.get(tenantId)?.get(key);
  }

  delete(nodeId: string, tenantId: string, key: string): void {
    this.data.get(nodeId)?.get(tenantId)?.delete(key);
  }

  keysOf(nodeId: string, tenantId: string): string[] {
    return [...(this.data.get(nodeId)?.get(tenantId)?.keys() ?? [])].sort();
  }

  async digest(
    node: ReplicaNode,
    tenantId: string,
    range: TokenRange,
    fence: DriverFence,
  ): Promise<RangeDigest> {
    this.admit(node, fence, false);
    this.digests.push({ nodeId: node.nodeId, range });
    const entries = this.inRange(node.nodeId, tenantId, range);
    const buckets = digestBucketsOf(range).map((bucket) => {
      const hash = createHash('sha256');
      let keys = 0;
      for (const [key, versions] of entries) {
        if (!rangeContains(bucket.range, keyToken(tenantId, key))) continue;
        hash.update(key).update(encodeVersionSet(versions));
        keys++;
      }
      return keys === 0 ? Buffer.alloc(0) : hash.digest();
    });
    const repairHorizonMs = this.clockMs++;
    this.digestHorizons.push({ nodeId: node.nodeId, range, repairHorizonMs });
    return { buckets, keyCount: entries.length, repairHorizonMs };
  }

  async markRangeRepaired(
    node: ReplicaNode,
    _tenantId: string,
    range: TokenRange,
    verifiedBeforeMs: number,
    fence: DriverFence,
  ): Promise<void> {
    this.admit(node, fence, true);
    this.marks.push({ nodeId: node.nodeId, range, verifiedBeforeMs });
  }

  async *scan(
    node: ReplicaNode,
    tenantId: string,
    range: TokenRange,
    _afterKey: Buffer | null,
    fence: DriverFence,
  ): AsyncGenerator<ScannedEntry[]> {
    this.admit(node, fence, true);
    const entries = this.inRange(node.nodeId, tenantId, range);
    this.scans.push({ nodeId: node.nodeId, range, keys: entries.map(([key]) => key) });
    yield entries.map(([key, versions]) => ({
      key,
      engineKey: Buffer.from(key),
      versions,
      sizeBytes: encodeVersionSet(versions).length,
    }));
  }

  async repairBatch(
    node: ReplicaNode,
    tenantId: string,
    entries: ReadonlyArray<{ readonly key: string; readonly versions: VersionSet }>,
    policy: ConflictPolicy,
    fence: DriverFence,
  ): Promise<void> {
    this.admit(node, fence, true);
    for (const entry of entries) {
      const held = this.get(node.nodeId, tenantId, entry.key) ?? EMPTY_VERSION_SET;
      const merged = sync(held, entry.versions);
      this.put(
        node.nodeId,
        tenantId,
        entry.key,
        policy === 'lww' ? collapseToWinner(merged) : merged,
      );
      this.repairs.push({ nodeId: node.nodeId, tenantId, key: entry.key });
    }
  }

  /** As NodeFence.admit: the ring version, then the fence's epoch, recorded when newer. */
  private admit(node: ReplicaNode, fence: DriverFence, fenced: boolean): void {
    if (this.down.has(node.nodeId)) {
      throw new ReplicaFailure(node.nodeId, 'unreachable', 'node down');
    }
    if (fence.ringVersion < this.minRingVersion) {
      this.refusals.push(`${node.nodeId} stale ring ${fence.ringVersion}`);
      throw new ReplicaFailure(node.nodeId, 'fenced', `ring version ${fence.ringVersion} stale`);
    }
    if (!fenced) return;
    const id = `${node.nodeId}\u0000${fence.migrationId}`;
    const recorded = this.epochs.get(id) ?? 0;
    if (fence.epoch < recorded) {
      this.refusals.push(`${node.nodeId} stale epoch ${fence.epoch}`);
      throw new ReplicaFailure(node.nodeId, 'refused', `epoch ${fence.epoch} below ${recorded}`);
    }
    this.epochs.set(id, fence.epoch);
  }

  private inRange(
    nodeId: string,
    tenantId: string,
    range: TokenRange,
  ): Array<[string, VersionSet]> {
    return [...(this.data.get(nodeId)?.get(tenantId) ?? new Map<string, VersionSet>())]
      .filter(([key]) => rangeContains(range, keyToken(tenantId, key)))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
