// The per-key lock is held until a write is applied, not across its fsync (version-store.ts):
// over an engine whose fsyncs the test completes by hand, a second write to a key is applied
// while the first still waits for its fsync, and no write, retry or repair answers before what
// it stored and what it built on are durable.
import { VersionVector, type Dot } from '@pairdb/vectorclock';
import type { AppliedWrite, BatchOp, Engine } from '../../src/engine';
import { UNTRACKED_CHANGES } from '../../src/versions/data-key-changes';
import { VersionStore, type VersionedWrite } from '../../src/versions/version-store';

/** Applies writes to a map at once; each write's durability waits for sync() or fail(). */
class ManualSyncEngine {
  readonly data = new Map<string, Buffer>();
  private waiting: Array<{ resolve(): void; reject(error: Error): void }> = [];
  applied = 0;
  /** As Engine's: set by a failed fsync, which leaves the engine refusing writes. */
  backgroundError: Error | undefined;

  get(key: Buffer): Buffer | undefined {
    return this.data.get(key.toString('latin1'));
  }

  writeApplied(ops: BatchOp[]): Promise<AppliedWrite> {
    for (const op of ops) {
      if (op.type === 'put') this.data.set(op.key.toString('latin1'), Buffer.from(op.value));
      else this.data.delete(op.key.toString('latin1'));
    }
    this.applied++;
    const durable = new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
    durable.catch(() => undefined);
    return Promise.resolve({ durable });
  }

  /** Completes the oldest waiting fsync. */
  sync(): void {
    this.waiting.shift()!.resolve();
  }

  fail(error: Error): void {
    this.backgroundError ??= error;
    this.waiting.shift()!.reject(error);
  }
}

let engine: ManualSyncEngine;
let versions: VersionStore;
let counter = 0;

beforeEach(() => {
  engine = new ManualSyncEngine();
  versions = new VersionStore(
    'node-1',
    engine as unknown as Engine,
    {},
    {},
    UNTRACKED_CHANGES,
    () => 1_700_000_000_000,
  );
});

function blindWrite(value: string, dot: Dot = { actor: 'coord-a', counter: BigInt(++counter) }) {
  const write: VersionedWrite = {
    tenantId: 'hot',
    key: 'counter',
    context: VersionVector.EMPTY,
    dot,
    content: { value: Buffer.from(value) },
    policy: 'siblings',
  };
  return write;
}

/** Whether `promise` has settled, after letting every queued callback run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('VersionStore writes and their fsync', () => {
  it('applies a second write to a key while the first waits for its fsync', async () => {
    const first = versions.write(blindWrite('one'));
    const second = versions.write(blindWrite('two'));
    await settled(second);
    expect(engine.applied).toBe(2);
    expect(await settled(first)).toBe(false);
    expect(await settled(second)).toBe(false);

    engine.sync();
    expect(await settled(first)).toBe(true);
    // The second built on the first and waits for its own fsync too.
    expect(await settled(second)).toBe(false);
    engine.sync();
    const stored = await second;
    expect(
      stored.siblings
        .map((s) => ('value' in s ? Buffer.from(s.value).toString() : 'deleted'))
        .sort(),
    ).toEqual(['one', 'two']);
  });

  it('answers a retried write only once the write that applied it is durable', async () => {
    const dot = { actor: 'coord-a', counter: 99n };
    const original = versions.write(blindWrite('once', dot));
    const retry = versions.write(blindWrite('once', dot));
    expect(await settled(retry)).toBe(false);
    expect(engine.applied).toBe(1);
    engine.sync();
    await expect(retry).resolves.toBeDefined();
    await expect(original).resolves.toBeDefined();
  });

  it('answers a repair that changes nothing only once the state it found is durable', async () => {
    const written = versions.write(blindWrite('value'));
    await settled(written);
    const set = versions.read('hot', 'counter')!;
    const repair = versions.repair('hot', 'counter', set, 'siblings');
    expect(await settled(repair)).toBe(false);
    expect(engine.applied).toBe(1);
    engine.sync();
    await expect(repair).resolves.toEqual(set);
  });

  it('fails a write whose predecessor on the key failed to become durable', async () => {
    const first = versions.write(blindWrite('lost'));
    const second = versions.write(blindWrite('after'));
    await settled(second);
    engine.fail(new Error('fsync failed'));
    engine.sync();
    await expect(first).rejects.toThrow('fsync failed');
    await expect(second).rejects.toThrow('fsync failed');
  });

  it('fails a retry that finds its write applied after that write failed to become durable', async () => {
    const dot = { actor: 'coord-a', counter: 77n };
    const original = versions.write(blindWrite('never durable', dot));
    await settled(original);
    engine.fail(new Error('fsync failed'));
    await expect(original).rejects.toThrow('fsync failed');
    // The write is in the engine's memory, its durability settled and forgotten.
    const retry = versions.write(blindWrite('never durable', dot));
    await expect(retry).rejects.toThrow('fsync failed');
    expect(engine.applied).toBe(1);
    const repair = versions.repair('hot', 'counter', versions.read('hot', 'counter')!, 'siblings');
    await expect(repair).rejects.toThrow('fsync failed');
  });

  it('lets a write to a key with nothing pending answer at its own fsync', async () => {
    const first = versions.write(blindWrite('one'));
    engine.sync();
    await first;
    const second = versions.write(blindWrite('two'));
    expect(await settled(second)).toBe(false);
    engine.sync();
    await expect(second).resolves.toBeDefined();
  });
});
