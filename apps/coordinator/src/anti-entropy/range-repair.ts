// One range of an anti-entropy pass (docs/architecture.md#anti-entropy): digests from every
// owner, one per bucket of the range cut at the digest segments (digestBucketsOf, the rule the
// storage nodes cut by); for the buckets whose digests differ, a scan of them on every owner, each
// key's version sets merged with the DVVSet sync (as read repair does), and the merge sent with
// RepairBatch to every owner whose stored set is not already equal to it. Owners only: the
// runner's fence lets RepairBatch skip the node's ownership check, so the owners must be right
// (repair-ranges.ts).
import { digestBucketsOf, type DigestBucket, type TokenRange } from '@pairdb/hashring';
import {
  collapseToWinner,
  EMPTY_VERSION_SET,
  isDeleted,
  sync,
  versionSetsEqual,
  type VersionSet,
} from '@pairdb/vectorclock';
import {
  SCAN_PAGE_ENTRIES,
  type DriverFence,
  type RangeDigest,
  type StorageAdminClient,
} from '../grpc/storage-admin-client';
import { replicaFailureOf, type ReplicaFailure } from '../replicas/replica-failure';
import type { ReplicaNode } from '../replicas/replica-transport';
import type { RepairRange } from './repair-ranges';

/** The storage-node calls anti-entropy makes. */
export type AntiEntropyStorage = Pick<
  StorageAdminClient,
  'scan' | 'digest' | 'repairBatch' | 'markRangeRepaired'
>;

/**
 * Keys one scan of adjacent differing buckets aims at per owner, estimated from the digests' key
 * counts: bounds what a range's comparison holds in memory.
 */
export const SCAN_KEYS_TARGET = 5_000;

export interface RangeOutcome {
  readonly bucketsDiffering: number;
  /** Keys repaired into each owner. */
  readonly repairedInto: ReadonlyMap<string, number>;
  /** Owners that failed a call: the range was not compared on them. */
  readonly failures: readonly ReplicaFailure[];
  /** Each owner's repair horizon, from the digest it gave (docs/architecture.md#tombstone-purge). */
  readonly horizons: ReadonlyMap<string, number>;
}

export interface RangeRepairContext {
  readonly storage: AntiEntropyStorage;
  readonly fence: DriverFence;
}

export async function repairRange(
  task: RepairRange,
  context: RangeRepairContext,
): Promise<RangeOutcome> {
  const failures: ReplicaFailure[] = [];
  const digests = await settleEach(task.owners, failures, (owner) =>
    context.storage.digest(owner, task.tenantId, task.range, context.fence),
  );
  const repairedInto = new Map<string, number>();
  const horizons = new Map(digests.map((d) => [d.node.nodeId, d.value.repairHorizonMs]));
  if (digests.length < 2) return { bucketsDiffering: 0, repairedInto, failures, horizons };
  const buckets = digestBucketsOf(task.range);
  const differing = differingBuckets(
    digests.map((d) => d.value),
    buckets.length,
  );
  const keysMax = Math.max(1, ...digests.map((d) => d.value.keyCount));
  const runLength = Math.max(1, Math.floor((SCAN_KEYS_TARGET * buckets.length) / keysMax));
  const compared = digests.map((d) => d.node);
  for (const run of runsOf(differing, runLength)) {
    const outcome = await repairSubRange(task, runRange(buckets, run), compared, context);
    failures.push(...outcome.failures);
    for (const [nodeId, keys] of outcome.repairedInto) {
      repairedInto.set(nodeId, (repairedInto.get(nodeId) ?? 0) + keys);
    }
  }
  return { bucketsDiffering: differing.length, repairedInto, failures, horizons };
}

/** Scans `range` on every owner, merges each key, and repairs the owners behind the merge. */
async function repairSubRange(
  task: RepairRange,
  range: TokenRange,
  owners: readonly ReplicaNode[],
  context: RangeRepairContext,
): Promise<{ repairedInto: Map<string, number>; failures: ReplicaFailure[] }> {
  const failures: ReplicaFailure[] = [];
  const held = await settleEach(owners, failures, (owner) => scanAll(task, range, owner, context));
  const repairedInto = new Map<string, number>();
  // An owner whose scan failed is left out of the merge and of the repairs (its failure makes
  // the pass incomplete); the others still converge among themselves.
  const merged = mergeByKey(
    held.map((h) => h.value),
    task.policy,
  );
  for (const owner of owners) {
    const stored = held.find((h) => h.node.nodeId === owner.nodeId)?.value;
    if (!stored) continue;
    const behind = [...merged]
      .filter(([key, versions]) => {
        const own = stored.get(key);
        // Tombstones are not copied to an owner that holds nothing for the key: absent reads as
        // deleted already, and a purged owner would otherwise get them back after every purge.
        if (own === undefined) return !isDeleted(versions);
        return !versionSetsEqual(own, versions);
      })
      .map(([key, versions]) => ({ key, versions }));
    try {
      for (let start = 0; start < behind.length; start += SCAN_PAGE_ENTRIES) {
        const page = behind.slice(start, start + SCAN_PAGE_ENTRIES);
        await context.storage.repairBatch(owner, task.tenantId, page, task.policy, context.fence);
        repairedInto.set(owner.nodeId, (repairedInto.get(owner.nodeId) ?? 0) + page.length);
      }
    } catch (error) {
      failures.push(replicaFailureOf(owner.nodeId, error));
    }
  }
  return { repairedInto, failures };
}

async function scanAll(
  task: RepairRange,
  range: TokenRange,
  owner: ReplicaNode,
  context: RangeRepairContext,
): Promise<Map<string, VersionSet>> {
  const held = new Map<string, VersionSet>();
  for await (const page of context.storage.scan(owner, task.tenantId, range, null, context.fence)) {
    for (const entry of page) held.set(entry.key, entry.versions);
  }
  return held;
}

function mergeByKey(
  held: ReadonlyArray<ReadonlyMap<string, VersionSet>>,
  policy: RepairRange['policy'],
): Map<string, VersionSet> {
  const merged = new Map<string, VersionSet>();
  for (const owner of held) {
    for (const [key, versions] of owner) {
      merged.set(key, sync(merged.get(key) ?? EMPTY_VERSION_SET, versions));
    }
  }
  if (policy === 'lww') for (const [key, set] of merged) merged.set(key, collapseToWinner(set));
  return merged;
}

/**
 * Indexes of the buckets whose digests are not all equal (every owner cut the same range by the
 * same segments, so their bucket lists line up).
 */
export function differingBuckets(digests: readonly RangeDigest[], length: number): number[] {
  const first = digests[0]!.buckets;
  const differing: number[] = [];
  for (let index = 0; index < length; index++) {
    const bucket = first[index];
    const same = (digest: RangeDigest) => {
      const theirs = digest.buckets[index];
      return bucket !== undefined && theirs !== undefined && theirs.equals(bucket);
    };
    if (!digests.every(same)) differing.push(index);
  }
  return differing;
}

/** Adjacent bucket indexes grouped into runs of at most `lengthMax`. */
function runsOf(indexes: readonly number[], lengthMax: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const index of indexes) {
    const last = runs[runs.length - 1];
    if (last && last[1] === index - 1 && index - last[0] < lengthMax) last[1] = index;
    else runs.push([index, index]);
  }
  return runs;
}

/** The tokens of buckets first..last (adjacent pieces of the range) as one range. */
function runRange(buckets: readonly DigestBucket[], [first, last]: [number, number]): TokenRange {
  return { start: buckets[first]!.range.start, end: buckets[last]!.range.end };
}

/** Runs `call` on every owner at once; keeps the answers, records the failures. */
async function settleEach<T>(
  owners: readonly ReplicaNode[],
  failures: ReplicaFailure[],
  call: (owner: ReplicaNode) => Promise<T>,
): Promise<Array<{ node: ReplicaNode; value: T }>> {
  const settled = await Promise.allSettled(owners.map(call));
  const answered: Array<{ node: ReplicaNode; value: T }> = [];
  settled.forEach((result, index) => {
    const node = owners[index]!;
    if (result.status === 'fulfilled') answered.push({ node, value: result.value });
    else failures.push(replicaFailureOf(node.nodeId, result.reason));
  });
  return answered;
}
