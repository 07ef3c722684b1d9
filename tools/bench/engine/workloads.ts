/**
 * The workloads, db_bench style. Each runs a fixed number of operations against one store and
 * checks what it read (a benchmark that reads wrong data measures nothing).
 *
 * - fillseq: one awaited put at a time, keys in ascending order;
 * - fillrandom: one awaited put at a time, every key once in a seeded random order;
 * - fillbatch: ascending keys in atomic batches of FILL_BATCH_SIZE, one batch awaited at a time;
 * - fillsync: FILL_SYNC_WRITERS writers, each awaiting one durable (fsynced) put at a time;
 * - readrandom: gets of random present keys with 1 or READ_IN_FLIGHT gets in flight;
 * - readmissing: the same with keys that fall between present keys;
 * - seekscan: a seek to a random present key, then SCAN_KEYS_PER_SEEK pairs; counted in keys.
 */
import { BenchStore } from './bench-store';
import { DataGenerator, SeededRandom, VALUE_BYTES } from './data-generator';

/** db_bench's fillbatch size. */
export const FILL_BATCH_SIZE = 1000;
/** Concurrent durable writers in fillsync, as the issue asks (group commit has work to share). */
export const FILL_SYNC_WRITERS = 16;
/** Gets in flight for the concurrent read workloads. */
export const READ_IN_FLIGHT = 64;
/** Pairs read after each seek: a short range scan, as anti-entropy and migration do. */
export const SCAN_KEYS_PER_SEEK = 100;
/** One read in this many has its whole value compared with the expected bytes. */
const VALUE_CHECK_EVERY = 16;

export class BenchCheckError extends Error {
  override name = 'BenchCheckError';
}

export interface WorkloadResult {
  /** Operations done (keys, for seekscan). */
  ops: number;
  seconds: number;
}

async function timed(ops: number, work: () => Promise<void>): Promise<WorkloadResult> {
  const started = performance.now();
  await work();
  return { ops, seconds: (performance.now() - started) / 1000 };
}

/** Calls `op(i)` for i in [0, count) with at most `inFlight` calls outstanding. */
async function inParallel(
  count: number,
  inFlight: number,
  op: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await op(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, lane));
}

export function fillSequential(
  store: BenchStore,
  data: DataGenerator,
  count: number,
): Promise<WorkloadResult> {
  return timed(count, async () => {
    for (let i = 0; i < count; i++) await store.put(data.key(i), data.value(i));
  });
}

export function fillRandom(
  store: BenchStore,
  data: DataGenerator,
  order: Uint32Array,
): Promise<WorkloadResult> {
  return timed(order.length, async () => {
    for (const index of order) await store.put(data.key(index), data.value(index));
  });
}

export function fillBatch(
  store: BenchStore,
  data: DataGenerator,
  count: number,
): Promise<WorkloadResult> {
  return timed(count, async () => {
    for (let start = 0; start < count; start += FILL_BATCH_SIZE) {
      const end = Math.min(count, start + FILL_BATCH_SIZE);
      const keys: Buffer[] = [];
      const values: Buffer[] = [];
      for (let i = start; i < end; i++) {
        keys.push(data.key(i));
        values.push(data.value(i));
      }
      await store.batch(keys, values);
    }
  });
}

/** `store` must be opened durable. */
export function fillSync(
  store: BenchStore,
  data: DataGenerator,
  count: number,
): Promise<WorkloadResult> {
  return timed(count, () =>
    inParallel(count, FILL_SYNC_WRITERS, (i) => store.put(data.key(i), data.value(i))),
  );
}

export interface ReadPlan {
  /** Entries present: keys 0..entries-1. */
  entries: number;
  reads: number;
  inFlight: number;
  seed: number;
}

export async function readRandom(
  store: BenchStore,
  data: DataGenerator,
  plan: ReadPlan,
): Promise<WorkloadResult> {
  const random = new SeededRandom(plan.seed);
  let found = 0;
  const result = await timed(plan.reads, () =>
    inParallel(plan.reads, plan.inFlight, async (i) => {
      const index = random.below(plan.entries);
      const value = await store.get(data.key(index));
      if (value === undefined || value.length !== VALUE_BYTES) return;
      if (i % VALUE_CHECK_EVERY === 0 && !value.equals(data.value(index))) {
        throw new BenchCheckError(`readrandom: wrong value for entry ${index}`);
      }
      found++;
    }),
  );
  if (found !== plan.reads) {
    throw new BenchCheckError(`readrandom: ${plan.reads - found} of ${plan.reads} keys not found`);
  }
  return result;
}

export async function readMissing(
  store: BenchStore,
  data: DataGenerator,
  plan: ReadPlan,
): Promise<WorkloadResult> {
  const random = new SeededRandom(plan.seed);
  let found = 0;
  const result = await timed(plan.reads, () =>
    inParallel(plan.reads, plan.inFlight, async () => {
      if ((await store.get(data.missingKey(random.below(plan.entries)))) !== undefined) found++;
    }),
  );
  if (found !== 0) throw new BenchCheckError(`readmissing: ${found} missing keys were found`);
  return result;
}

export async function seekScan(
  store: BenchStore,
  data: DataGenerator,
  entries: number,
  seeks: number,
  seed: number,
): Promise<WorkloadResult> {
  const random = new SeededRandom(seed);
  let keys = 0;
  let expected = 0;
  const started = performance.now();
  for (let i = 0; i < seeks; i++) {
    const index = random.below(entries);
    keys += await store.scan(data.key(index), SCAN_KEYS_PER_SEEK);
    expected += Math.min(SCAN_KEYS_PER_SEEK, entries - index);
  }
  const seconds = (performance.now() - started) / 1000;
  if (keys !== expected)
    throw new BenchCheckError(`seekscan: read ${keys} keys, expected ${expected}`);
  return { ops: keys, seconds };
}
