// gRPC handlers of pairdb.storage.v1.StorageService over the replica. Unary RPCs and the
// batched Exchange stream share one dispatch, so both paths behave the same. Every data request,
// each Exchange item included, passes the node's fence, and every write its ownership check,
// before it touches the engine (docs/architecture.md#fencing).
import type { sendUnaryData, ServerDuplexStream, ServerWritableStream } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { DIGEST_SEGMENT_BITS } from '@pairdb/hashring';
import { storageV1 } from '@pairdb/proto';
import { readContext, type VersionSet } from '@pairdb/vectorclock';
import {
  conflictPolicyFromWire,
  dotFromWire,
  ringLayoutFromWire,
  versionSetFromWire,
  versionSetToWire,
  versionVectorFromWire,
  versionVectorToWire,
} from '@pairdb/wire-contract';
import type { Engine } from '../engine';
import type { NodeFence } from '../fencing/node-fence';
import type { NodeLayout } from '../fencing/node-layout';
import type { StorageMetrics } from '../metrics';
import type { RangeDigests } from '../ranges/range-digest';
import { dropTokenRange } from '../ranges/token-range-drop';
import { scanTokenRange } from '../ranges/token-range-scan';
import type { Replica } from '../replica';
import type { RepairHorizons } from '../tombstones/repair-horizons';
import type { TombstonePurge } from '../tombstones/tombstone-purge';
import { DATA_KEYSPACE_END, dataKeyFloor } from '../versions/engine-keys';
import { InvalidRequestError } from '../versions/validation';
import type { VersionStore } from '../versions/version-store';
import {
  fencedRequestOf,
  hintTargetFromWire,
  migrationFenceFromWire,
  ownedWriteOf,
} from './convert';
import type { OpenExchanges } from './open-exchanges';
import { DeadlinePassedError, NotServingError, statusCodeOf, toGrpcError } from './status';

/** Entries per ScanRange message when the caller does not say. */
export const SCAN_PAGE_SIZE_DEFAULT = 256;
/** Largest page a caller may ask for: bounds one message. */
export const SCAN_PAGE_SIZE_MAX = 4096;
/**
 * A page also ends once its version sets reach this many bytes: values go up to 1 MiB, so a page
 * of thousands could exceed a gRPC message (and the RepairBatch a migration makes of it). With
 * one more entry past the cap a page stays under the 4 MiB a stock gRPC client accepts.
 */
export const SCAN_PAGE_BYTES_MAX = 1024 * 1024;
/** HealthCheck stops counting keys here, so the call stays short; the count is then a floor. */
export const KEY_COUNT_MAX = 10_000_000;
/** Keys counted per event-loop turn: requests interleave with a long count. */
const KEY_COUNT_CHUNK = 4096;

type Operation = NonNullable<storageV1.ExchangeItem['operation']>;
type Outcome = NonNullable<storageV1.ExchangeResult['outcome']>;

export interface HandlerDeps {
  replica: Replica;
  engine: Engine;
  /** For DropRange, which removes keys under their per-key locks. */
  versions: VersionStore;
  /** RangeDigest's answers: from the digest index, scanning only what it cannot give. */
  digests: RangeDigests;
  fence: NodeFence;
  /** The newest ring layout: writes for keys it assigns elsewhere are refused. */
  layout: NodeLayout;
  metrics: StorageMetrics;
  /** False while starting or draining: requests answer UNAVAILABLE. */
  isServing(): boolean;
  freeDiskBytes(): number | undefined;
  /** Where Exchange streams register, so a drain can end them once idle. */
  exchanges: OpenExchanges;
  /** Where MarkRangeRepaired records what anti-entropy verified. */
  horizons: RepairHorizons;
  /** Woken by a new horizon: tombstones may have become purgeable. */
  tombstonePurge: Pick<TombstonePurge, 'wake'>;
}

/** A write or delete reply: the stored set, or only its read context when the caller asked. */
function writeReply(versions: VersionSet, clockOnly: boolean): storageV1.WriteResponse {
  return clockOnly
    ? { versions: undefined, clock: versionVectorToWire(readContext(versions)) }
    : { versions: versionSetToWire(versions), clock: [] };
}

async function apply(deps: HandlerDeps, operation: Operation): Promise<Outcome> {
  const { replica } = deps;
  switch (operation.$case) {
    case 'write': {
      const r = operation.value;
      const versions = await replica.write({
        tenantId: r.tenantId,
        key: r.key,
        context: versionVectorFromWire('context', r.context),
        dot: dotFromWire('dot', r.dot),
        content: { value: r.value },
        policy: conflictPolicyFromWire('conflict_policy', r.conflictPolicy),
        hintFor: hintTargetFromWire(r.hintFor),
      });
      return { $case: 'write', value: writeReply(versions, r.replyClockOnly) };
    }
    case 'delete': {
      const r = operation.value;
      const versions = await replica.write({
        tenantId: r.tenantId,
        key: r.key,
        context: versionVectorFromWire('context', r.context),
        dot: dotFromWire('dot', r.dot),
        content: { tombstone: true },
        policy: conflictPolicyFromWire('conflict_policy', r.conflictPolicy),
        hintFor: hintTargetFromWire(r.hintFor),
      });
      return { $case: 'delete', value: writeReply(versions, r.replyClockOnly) };
    }
    case 'read': {
      const versions = replica.read(operation.value.tenantId, operation.value.key);
      return {
        $case: 'read',
        value: {
          found: versions !== undefined,
          versions: versions ? versionSetToWire(versions) : undefined,
        },
      };
    }
    case 'repair': {
      const r = operation.value;
      const versions = await replica.repair({
        tenantId: r.tenantId,
        key: r.key,
        versions: versionSetFromWire('versions', r.versions),
        policy: conflictPolicyFromWire('conflict_policy', r.conflictPolicy),
        hintFor: hintTargetFromWire(r.hintFor),
      });
      return { $case: 'repair', value: { versions: versionSetToWire(versions) } };
    }
  }
}

async function measured(deps: HandlerDeps, operation: Operation): Promise<Outcome> {
  const stop = deps.metrics.requestDuration.startTimer({ operation: operation.$case });
  try {
    if (!deps.isServing()) {
      throw new NotServingError('storage node is not serving (starting or shutting down)');
    }
    await deps.fence.admit(fencedRequestOf(operation));
    const owned = ownedWriteOf(operation);
    if (owned) deps.layout.checkOwner(owned, deps.fence.minRingVersion);
    const outcome = await apply(deps, operation);
    deps.metrics.requests.inc({ operation: operation.$case, status: 'OK' });
    return outcome;
  } catch (error) {
    deps.metrics.requests.inc({
      operation: operation.$case,
      status: status[statusCodeOf(error)] ?? 'UNKNOWN',
    });
    throw error;
  } finally {
    stop();
  }
}

function unary<Req, Res>(
  deps: HandlerDeps,
  toOperation: (request: Req) => Operation,
  fromOutcome: (outcome: Outcome) => Res,
) {
  return (call: { request: Req }, callback: sendUnaryData<Res>) => {
    measured(deps, toOperation(call.request)).then(
      (outcome) => callback(null, fromOutcome(outcome)),
      (error) => callback(toGrpcError(error)),
    );
  };
}

export function createStorageHandlers(deps: HandlerDeps): storageV1.StorageServiceServer {
  return {
    write: unary(
      deps,
      (r: storageV1.WriteRequest) => ({ $case: 'write', value: r }),
      (o) => o.value as storageV1.WriteResponse,
    ),
    read: unary(
      deps,
      (r: storageV1.ReadRequest) => ({ $case: 'read', value: r }),
      (o) => o.value as storageV1.ReadResponse,
    ),
    delete: unary(
      deps,
      (r: storageV1.DeleteRequest) => ({ $case: 'delete', value: r }),
      (o) => o.value as storageV1.DeleteResponse,
    ),
    repair: unary(
      deps,
      (r: storageV1.RepairRequest) => ({ $case: 'repair', value: r }),
      (o) => o.value as storageV1.RepairResponse,
    ),
    repairBatch: (call, callback) => {
      handleRepairBatch(deps, call.request).then(
        (response) => callback(null, response),
        (error) => callback(toGrpcError(error)),
      );
    },
    healthCheck: (_call, callback) => {
      void countKeys(deps.engine).then((keyCount) =>
        callback(null, {
          nodeId: deps.replica.nodeId,
          serving: deps.isServing() && deps.replica.engineError === undefined,
          hintsPending: BigInt(deps.replica.hintsPending),
          freeDiskBytes: BigInt(deps.freeDiskBytes() ?? 0),
          approximateKeyCount: BigInt(keyCount),
          minRingVersion: deps.fence.minRingVersion,
          layoutRingVersion: deps.layout.layout?.ringVersion ?? 0n,
          migrationRunning: deps.layout.migrationRunning,
        }),
      );
    },
    exchange: (call) => handleExchange(deps, call),
    scanRange: (call) => void handleScan(deps, call),
    rangeDigest: (call, callback) => {
      handleDigest(deps, call.request).then(
        (response) => callback(null, response),
        (error) => callback(toGrpcError(error)),
      );
    },
    raiseRingVersion: (call, callback) => {
      handleRaise(deps, call.request).then(
        (minRingVersion) => callback(null, { minRingVersion }),
        (error) => callback(toGrpcError(error)),
      );
    },
    dropRange: (call, callback) => {
      handleDrop(deps, call.request).then(
        (response) => callback(null, response),
        (error) => callback(toGrpcError(error)),
      );
    },
    compact: (_call, callback) => {
      if (!deps.isServing()) {
        callback(toGrpcError(new NotServingError('storage node is not serving')));
        return;
      }
      deps.engine.compactAll().then(
        () => callback(null, {}),
        (error) => callback(toGrpcError(error)),
      );
    },
    markRangeRepaired: (call, callback) => {
      handleMarkRepaired(deps, call.request).then(
        () => callback(null, {}),
        (error) => callback(toGrpcError(error)),
      );
    },
  };
}

/**
 * Raises the fence, then keeps the layout: a crash between the two leaves a layout older than
 * the minimum, which judges nothing, rather than a stale driver's layout adopted before its epoch
 * was refused. Both are durable before the answer.
 */
async function handleRaise(
  deps: HandlerDeps,
  r: storageV1.RaiseRingVersionRequest,
): Promise<bigint> {
  const layout = r.layout && ringLayoutFromWire('layout', r.layout, r.ringVersion);
  const minRingVersion = await deps.fence.raise(r.ringVersion, migrationFenceFromWire(r.fence));
  if (layout) await deps.layout.adopt(layout);
  return minRingVersion;
}

/**
 * A migration's batch of repairs: the batch is fenced once (a driver fence is required, rule 6 of
 * docs/architecture.md#fencing), every item checked before any is merged, and the answer sent once
 * all are durable (rule 4: the driver writes its checkpoint after it).
 */
async function handleRepairBatch(
  deps: HandlerDeps,
  r: storageV1.RepairBatchRequest,
): Promise<storageV1.RepairBatchResponse> {
  const stop = deps.metrics.requestDuration.startTimer({ operation: 'repair_batch' });
  try {
    if (!deps.isServing()) {
      throw new NotServingError('storage node is not serving (starting or shutting down)');
    }
    if (!r.fence) throw new InvalidRequestError('fence', r.fence, 'is required');
    const items = r.items.map((item, index) => ({
      tenantId: item.tenantId,
      key: item.key,
      versions: versionSetFromWire(`items[${index}].versions`, item.versions),
      policy: conflictPolicyFromWire(`items[${index}].conflict_policy`, item.conflictPolicy),
    }));
    await deps.fence.admit({ ringVersion: r.ringVersion, fence: migrationFenceFromWire(r.fence) });
    await deps.replica.repairBatch(items);
    deps.metrics.requests.inc({ operation: 'repair_batch', status: 'OK' });
    return { itemsMerged: items.length };
  } catch (error) {
    deps.metrics.requests.inc({
      operation: 'repair_batch',
      status: status[statusCodeOf(error)] ?? 'UNKNOWN',
    });
    throw error;
  } finally {
    stop();
  }
}

async function handleDigest(
  deps: HandlerDeps,
  r: storageV1.RangeDigestRequest,
): Promise<storageV1.RangeDigestResponse> {
  const range = requireRange(r.range);
  await deps.fence.admit({ ringVersion: r.ringVersion });
  // Taken before the digest, so the digest covers every store received before it.
  const repairHorizonMs = deps.versions.repairHorizonMs();
  const digest = deps.digests.digest({ ...range, tenantId: r.tenantId });
  return {
    bucketDigests: digest.buckets,
    keyCount: BigInt(digest.keyCount),
    segmentBits: DIGEST_SEGMENT_BITS,
    repairHorizonMs: BigInt(repairHorizonMs),
  };
}

/**
 * Records that anti-entropy compared a range on every owner (docs/architecture.md#tombstone-purge).
 * Only the runner sends it, fenced; a horizon from the future (a time this node never gave) is
 * refused.
 */
async function handleMarkRepaired(
  deps: HandlerDeps,
  r: storageV1.MarkRangeRepairedRequest,
): Promise<void> {
  const range = requireRange(r.range);
  if (!r.tenantId) throw new InvalidRequestError('tenant_id', r.tenantId, 'is required');
  const fence = migrationFenceFromWire(r.fence);
  if (!fence) throw new InvalidRequestError('fence', 'unset', 'is required');
  const verifiedBeforeMs = Number(r.verifiedBeforeMs);
  if (verifiedBeforeMs > Date.now()) {
    throw new InvalidRequestError('verified_before_ms', r.verifiedBeforeMs, 'is in the future');
  }
  await deps.fence.admit({ ringVersion: r.ringVersion, fence });
  deps.horizons.record(
    r.tenantId,
    { range, verifiedBeforeMs, ringVersion: r.ringVersion },
    deps.fence.minRingVersion,
  );
  deps.tombstonePurge.wake();
}

async function handleDrop(
  deps: HandlerDeps,
  r: storageV1.DropRangeRequest,
): Promise<storageV1.DropRangeResponse> {
  if (!deps.isServing()) {
    throw new NotServingError('storage node is not serving (starting or shutting down)');
  }
  const range = requireRange(r.range);
  await deps.fence.admit({ ringVersion: r.ringVersion, fence: migrationFenceFromWire(r.fence) });
  const dropped = await dropTokenRange(deps.engine, deps.versions, {
    ...range,
    tenantId: r.tenantId,
    afterKey: Buffer.from(r.afterKey),
    limit: r.limit,
  });
  return {
    keysDropped: BigInt(dropped.keysDropped),
    lastKey: dropped.lastKey,
    done: dropped.done,
  };
}

/**
 * Data keys in one snapshot, every tenant (tombstones included until compaction drops them),
 * for HealthCheck; -1 when the engine cannot be read (closed, failed). Yields to the event loop
 * between chunks so a count never holds up requests.
 */
async function countKeys(engine: Engine): Promise<number> {
  let snapshot: ReturnType<Engine['snapshot']> | undefined;
  try {
    snapshot = engine.snapshot();
    let count = 0;
    for (const _entry of engine.iterate({
      gte: dataKeyFloor(0n),
      lt: DATA_KEYSPACE_END,
      snapshot,
    })) {
      count++;
      if (count >= KEY_COUNT_MAX) break;
      if (count % KEY_COUNT_CHUNK === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return count;
  } catch {
    return -1;
  } finally {
    snapshot?.release();
  }
}

function requireRange(range: storageV1.TokenRange | undefined): { start: bigint; end: bigint } {
  if (!range) throw new InvalidRequestError('range', range, 'is required');
  return { start: range.start, end: range.end };
}

/**
 * The batched data path: each incoming batch is applied item by item (writes of one batch
 * reach the engine in the same turn, so they share one commit-log append and fsync); results
 * are sent back as they complete, gathered into one message per event-loop turn.
 */
function handleExchange(
  deps: HandlerDeps,
  call: ServerDuplexStream<storageV1.ExchangeRequest, storageV1.ExchangeResponse>,
): void {
  let pending: storageV1.ExchangeResult[] = [];
  let flushScheduled = false;
  let closed = false;
  let inFlight = 0;
  const endWaiters: Array<() => void> = [];
  const flush = () => {
    flushScheduled = false;
    if (closed || pending.length === 0) return;
    const results = pending;
    pending = [];
    call.write({ results });
  };
  const close = (end: boolean) => {
    if (!closed) {
      flush();
      closed = true;
      if (end) call.end();
    }
    unregister();
    for (const resolve of endWaiters.splice(0)) resolve();
  };
  const endIfIdle = () => {
    if (endWaiters.length > 0 && inFlight === 0) close(true);
  };
  const unregister = deps.exchanges.add({
    endWhenIdle: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        endWaiters.push(resolve);
        endIfIdle();
      }),
  });
  const complete = (result: storageV1.ExchangeResult) => {
    pending.push(result);
    inFlight--;
    if (endWaiters.length > 0) return endIfIdle();
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };
  call.on('data', (batch: storageV1.ExchangeRequest) => {
    const receivedMs = Date.now();
    for (const item of batch.items) {
      inFlight++;
      const run = async (): Promise<Outcome> => {
        if (!item.operation) throw new InvalidRequestError('operation', 'none', 'is required');
        if (item.timeoutMs > 0 && Date.now() - receivedMs > item.timeoutMs) {
          throw new DeadlinePassedError(item.timeoutMs);
        }
        return measured(deps, item.operation);
      };
      run().then(
        (outcome) => complete({ id: item.id, outcome }),
        (error) => {
          const message = error instanceof Error ? error.message : String(error);
          const code = statusCodeOf(error);
          complete({ id: item.id, outcome: { $case: 'error', value: { code, message } } });
        },
      );
    }
  });
  // The coordinator closed its side: answer what it already sent, then end ours.
  call.on('end', () => {
    endWaiters.push(() => undefined);
    endIfIdle();
  });
  call.on('error', () => close(false));
  call.on('cancelled', () => close(false));
}

async function handleScan(
  deps: HandlerDeps,
  call: ServerWritableStream<storageV1.ScanRangeRequest, storageV1.ScanRangeResponse>,
): Promise<void> {
  let snapshot: ReturnType<Engine['snapshot']> | undefined;
  try {
    const r = call.request;
    const range = requireRange(r.range);
    const pageSize = r.pageSize === 0 ? SCAN_PAGE_SIZE_DEFAULT : r.pageSize;
    if (pageSize > SCAN_PAGE_SIZE_MAX)
      throw new InvalidRequestError('page_size', pageSize, `is above ${SCAN_PAGE_SIZE_MAX}`);
    await deps.fence.admit({ ringVersion: r.ringVersion, fence: migrationFenceFromWire(r.fence) });
    snapshot = deps.engine.snapshot();
    let page: storageV1.ScannedVersion[] = [];
    let pageBytes = 0;
    const query = { ...range, tenantId: r.tenantId, afterKey: Buffer.from(r.afterKey) };
    for (const entry of scanTokenRange(deps.engine, query, snapshot)) {
      if (call.cancelled) return;
      page.push({
        tenantId: entry.tenantId,
        key: entry.key,
        token: entry.token,
        versions: versionSetToWire(entry.versions),
        engineKey: entry.engineKey,
      });
      pageBytes += entry.encodedBytes;
      if (page.length >= pageSize || pageBytes >= SCAN_PAGE_BYTES_MAX) {
        const flowing = call.write({ entries: page });
        page = [];
        pageBytes = 0;
        if (!flowing) await new Promise((resolve) => call.once('drain', resolve));
      }
    }
    if (page.length > 0) call.write({ entries: page });
    call.end();
  } catch (error) {
    // grpc-js sends a stream's error status from its 'error' event; destroy() would end the
    // stream without any status, leaving the caller waiting.
    call.emit('error', toGrpcError(error));
  } finally {
    snapshot?.release();
  }
}
