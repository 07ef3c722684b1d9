// The benchmark's phases against an in-memory stand-in for the cluster: what gets loaded,
// the operation mix, inserts and reads of workload D, read-modify-write contexts, errors,
// concurrency and repeatability.
import {
  NotFoundError,
  type ReadResult,
  type VectorClock,
  type WriteOptions,
} from '@pairdb/client';
import { BenchRunner, recordKey, type BenchSettings } from '../../src/bench/bench-runner';
import { WORKLOADS } from '../../src/bench/workloads';

class FakeStore {
  readonly data = new Map<string, Buffer>();
  readonly calls: { op: 'get' | 'put'; key: string; context?: VectorClock }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  failReads = false;

  async get(_tenant: string, key: string): Promise<ReadResult> {
    this.calls.push({ op: 'get', key });
    await this.turn();
    const value = this.data.get(key);
    if (!value || this.failReads) throw new NotFoundError('NOT_FOUND', 'ReadKeyValue', key);
    return { key, value, vectorClock: [{ actor: 'c', counter: 7n }], siblings: [] };
  }

  async put(_tenant: string, key: string, value: Uint8Array | string, options: WriteOptions = {}) {
    this.calls.push({ op: 'put', key, context: options.context });
    await this.turn();
    this.data.set(key, Buffer.from(value));
    return {
      key,
      idempotencyKey: '',
      vectorClock: [],
      replicaCount: 2,
      consistency: 'quorum',
      isDuplicate: false,
    };
  }

  private async turn(): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    this.inFlight--;
  }
}

const quiet = { start: () => undefined, increment: () => undefined, stop: () => undefined };

function settings(overrides: Partial<BenchSettings> = {}): BenchSettings {
  return {
    tenant: 'bench',
    records: 500,
    operations: 2_000,
    clients: 8,
    valueSize: 100,
    consistency: 'quorum',
    seed: 1,
    ...overrides,
  };
}

describe('BenchRunner', () => {
  it('loads exactly the records 0..n-1 under YCSB-style names, with values of the set size', async () => {
    const store = new FakeStore();
    const load = await new BenchRunner(store, settings(), quiet).load();
    expect(store.data.size).toBe(500);
    expect(store.data.has(recordKey(0)) && store.data.has(recordKey(499))).toBe(true);
    expect(recordKey(0)).toMatch(/^user\d+$/);
    expect([...store.data.values()].every((value) => value.length === 100)).toBe(true);
    expect(load.operations['INSERT']).toMatchObject({ count: 500, errors: 0 });
  });

  it('runs workload A as about half reads and half updates over loaded keys only', async () => {
    const store = new FakeStore();
    const runner = new BenchRunner(store, settings(), quiet);
    await runner.load();
    const loaded = new Set(store.data.keys());
    const result = await runner.run(WORKLOADS['A']!);
    const { READ, UPDATE } = result.operations!;
    expect(READ!.count + UPDATE!.count).toBe(2_000);
    expect(READ!.count / 2_000).toBeGreaterThan(0.45);
    expect(READ!.count / 2_000).toBeLessThan(0.55);
    expect(READ!.errors).toBe(0);
    expect(store.data.size).toBe(loaded.size);
  });

  it('runs workload C as reads only', async () => {
    const store = new FakeStore();
    const runner = new BenchRunner(store, settings(), quiet);
    await runner.load();
    const result = await runner.run(WORKLOADS['C']!);
    expect(Object.keys(result.operations!)).toEqual(['READ']);
  });

  it('inserts new records in workload D and reads only records that exist', async () => {
    const store = new FakeStore();
    const runner = new BenchRunner(store, settings({ operations: 4_000 }), quiet);
    await runner.load();
    const result = await runner.run(WORKLOADS['D']!);
    const inserts = result.operations!['INSERT']!.count;
    expect(inserts).toBeGreaterThan(100);
    expect(store.data.size).toBe(500 + inserts);
    expect(store.data.has(recordKey(500 + inserts - 1))).toBe(true);
    expect(result.operations!['READ']!.errors).toBe(0);
  });

  it('writes back with the clock it read in workload F, counting the whole and its parts', async () => {
    const store = new FakeStore();
    const runner = new BenchRunner(store, settings(), quiet);
    await runner.load();
    store.calls.length = 0;
    const result = await runner.run(WORKLOADS['F']!);
    const rmw = result.operations!['READ-MODIFY-WRITE']!.count;
    expect(rmw).toBeGreaterThan(800);
    expect(result.operations!['UPDATE']!.count).toBe(rmw);
    expect(result.operations!['READ']!.count).toBe(2_000);
    const puts = store.calls.filter((call) => call.op === 'put');
    expect(puts.every((call) => call.context?.[0]?.counter === 7n)).toBe(true);
  });

  it('reports workload E as unsupported without sending anything', async () => {
    const store = new FakeStore();
    const result = await new BenchRunner(store, settings(), quiet).run(WORKLOADS['E']!);
    expect(result).toMatchObject({ workload: 'E', supported: false });
    expect(result.unsupportedReason).toContain('no range scan');
    expect(store.calls).toHaveLength(0);
  });

  it('counts failures by status and keeps going', async () => {
    const store = new FakeStore();
    const runner = new BenchRunner(store, settings({ operations: 300 }), quiet);
    store.failReads = true;
    const result = await runner.run(WORKLOADS['C']!);
    expect(result.operations!['READ']).toMatchObject({
      count: 0,
      errors: 300,
      errorsByCode: { NOT_FOUND: 300 },
    });
  });

  it('never has more calls in flight than clients', async () => {
    const store = new FakeStore();
    await new BenchRunner(store, settings({ clients: 5 }), quiet).load();
    expect(store.maxInFlight).toBe(5);
  });

  it('repeats the same keys for the same seed', async () => {
    const keys = async (seed: number) => {
      const store = new FakeStore();
      const runner = new BenchRunner(store, settings({ seed, clients: 1 }), quiet);
      await runner.load();
      store.calls.length = 0;
      await runner.run(WORKLOADS['B']!);
      return store.calls.map((call) => `${call.op}:${call.key}`);
    };
    const first = await keys(99);
    expect(await keys(99)).toEqual(first);
    expect(await keys(100)).not.toEqual(first);
  });
});
