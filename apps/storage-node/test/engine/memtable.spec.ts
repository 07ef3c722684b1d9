import fc from 'fast-check';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Entry, EntryKind, compareEntries } from '../../src/engine/entry';
import { Memtable, MemtablePool, imageEntries } from '../../src/engine/memtable';

const keyArbitrary = fc.uint8Array({ minLength: 1, maxLength: 3, max: 4 }).map(Buffer.from);

/** Random writes with increasing seqs: (key, kind). */
const writesArbitrary = fc.array(fc.tuple(keyArbitrary, fc.boolean()), { maxLength: 200 });

/** The garbage collector, reachable from a test without starting node with --expose-gc. */
function garbageCollector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** Heap plus ArrayBuffer (Buffer and SharedArrayBuffer) bytes in use after a full collection. */
function memoryInUse(gc: () => void): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function key(index: number): Buffer {
  return Buffer.from(`key-${String(index).padStart(5, '0')}`);
}

function build(writes: [Buffer, boolean][]): { memtable: Memtable; entries: Entry[] } {
  const memtable = new Memtable();
  const entries = writes.map(([key, isPut], index): Entry => ({
    key,
    seq: index + 1,
    kind: isPut ? EntryKind.Put : EntryKind.Delete,
    value: Buffer.from(`v${index + 1}`),
  }));
  for (const entry of entries) memtable.add(entry);
  return { memtable, entries };
}

describe('memtable', () => {
  it('iterates every version in compareEntries order (property)', () => {
    fc.assert(
      fc.property(writesArbitrary, (writes) => {
        const { memtable, entries } = build(writes);
        const expected = [...entries].sort(compareEntries);
        expect([...memtable.entries()]).toEqual(expected);
      }),
    );
  });

  it('get returns the newest version at or below maxSeq, tombstones included (property)', () => {
    fc.assert(
      fc.property(writesArbitrary, keyArbitrary, fc.nat(220), (writes, key, maxSeq) => {
        const { memtable, entries } = build(writes);
        const expected = entries
          .filter((entry) => entry.key.equals(key) && entry.seq <= maxSeq)
          .sort((a, b) => b.seq - a.seq)[0];
        expect(memtable.get(key, maxSeq)).toEqual(expected);
      }),
    );
  });

  it("a frozen memtable's image yields exactly its entries, large values included (property)", () => {
    fc.assert(
      fc.property(writesArbitrary, fc.nat(3), (writes, bigEvery) => {
        const { memtable } = build(writes);
        // Values of 64 KiB and more get slabs of their own: mix some in.
        for (let index = 0; index < bigEvery; index++) {
          const value = Buffer.alloc(64 * 1024 + index, index);
          memtable.add({
            key: Buffer.from([9, index]),
            seq: 1000 + index,
            kind: EntryKind.Put,
            value,
          });
        }
        const image = structuredClone(memtable.image());
        expect([...imageEntries(image)]).toEqual([...memtable.entries()]);
      }),
      { numRuns: 50 },
    );
  });

  it('a range scan honours gte, lt and maxSeq bounds (property)', () => {
    fc.assert(
      fc.property(writesArbitrary, keyArbitrary, keyArbitrary, fc.nat(220), (w, a, b, maxSeq) => {
        const { memtable, entries } = build(w);
        const expected = entries
          .filter((e) => Buffer.compare(e.key, a) >= 0 && Buffer.compare(e.key, b) < 0)
          .filter((e) => e.seq <= maxSeq)
          .sort(compareEntries);
        expect([...memtable.entries({ gte: a, lt: b, maxSeq })]).toEqual(expected);
      }),
    );
  });

  it('an iterator started before later inserts still yields a consistent snapshot by seq', () => {
    const memtable = new Memtable();
    for (let i = 0; i < 100; i++) {
      memtable.add({
        key: Buffer.from([i]),
        seq: i + 1,
        kind: EntryKind.Put,
        value: Buffer.alloc(1),
      });
    }
    const iterator = memtable.entries({ maxSeq: 100 });
    const seen: number[] = [];
    for (const entry of iterator) {
      seen.push(entry.key[0]!);
      if (seen.length === 10) {
        for (let i = 0; i < 100; i++) {
          memtable.add({
            key: Buffer.from([i, 1]),
            seq: 101 + i,
            kind: EntryKind.Put,
            value: Buffer.alloc(1),
          });
        }
      }
    }
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('adding the same key and seq twice is refused as a bug', () => {
    const memtable = new Memtable();
    const entry = { key: Buffer.from('k'), seq: 7, kind: EntryKind.Put, value: Buffer.from('v') };
    memtable.add(entry);
    expect(() => memtable.add({ ...entry })).toThrow('duplicate');
  });

  // A memtable that undercounts its memory lets a node hold several times its budget.
  it('bytes tracks the memory the memtable really holds, within 20% (16-byte keys)', () => {
    const gc = garbageCollector();
    const count = 200_000;
    const pool = Buffer.alloc(4096, 7);
    const fill = (): Memtable => {
      const memtable = new Memtable();
      for (let index = 0; index < count; index++) {
        // Keys and values come from Node's shared pool, as a write's buffers do.
        const key = Buffer.from(String((index * 7919) % count).padStart(16, '0'), 'latin1');
        const value = Buffer.from(pool.subarray(index % 3000, (index % 3000) + 100));
        memtable.add({ key, seq: index + 1, kind: EntryKind.Put, value });
      }
      return memtable;
    };
    // Memory freed meanwhile by earlier tests in this worker inflates a reading, never shrinks
    // it: the smaller of two readings is the better one.
    let held = Number.POSITIVE_INFINITY;
    let counted = 0;
    for (let round = 0; round < 2; round++) {
      let memtable: Memtable | undefined = fill();
      counted = memtable.bytes;
      const withMemtable = memoryInUse(gc);
      memtable = undefined;
      held = Math.min(held, withMemtable - memoryInUse(gc));
    }
    expect(counted / held).toBeGreaterThan(0.8);
    expect(counted / held).toBeLessThan(1.2);
  });

  it("a retired memtable's memory goes to its pool only once no iteration pins it", () => {
    const pool = new MemtablePool(1 << 20);
    const { entries } = build([[Buffer.from('a'), true]]);
    const memtable = new Memtable(pool);
    for (const entry of entries) memtable.add(entry);
    const iterator = memtable.entries();
    memtable.pin();
    memtable.retire();
    expect(pool.bytes).toBe(0);
    expect([...iterator]).toEqual(entries);
    memtable.unpin();
    expect(pool.bytes).toBe(memtable.bytes);
    expect(() => memtable.get(Buffer.from('a'))).toThrow('released');
  });

  it('entries handed out stay intact when a later memtable reuses the memory (property)', () => {
    fc.assert(
      fc.property(writesArbitrary, writesArbitrary, (first, second) => {
        const pool = new MemtablePool(1 << 20);
        const { entries } = build(first);
        const old = new Memtable(pool);
        for (const entry of entries) old.add(entry);
        const handedOut = [...old.entries()];
        const got = entries.map((entry) => old.get(entry.key, entry.seq)!);
        // Hex strings: a clone of a Buffer over shared memory would share that memory.
        const snapshot = (): string[] =>
          [...handedOut, ...got].map(
            (entry) => `${entry.key.toString('hex')}=${entry.value.toString('hex')}`,
          );
        const expected = snapshot();
        old.retire();
        const reused = new Memtable(pool);
        second.forEach(([key], index) => {
          reused.add({ key, seq: index + 1, kind: EntryKind.Put, value: Buffer.alloc(9, 0xee) });
        });
        expect(snapshot()).toEqual(expected);
        expect(pool.bytes).toBeLessThanOrEqual(pool.bytesMax);
      }),
    );
  });

  it('a pool keeps no more than its bound; a larger retired memtable leaves the rest to the GC', () => {
    const pool = new MemtablePool(4096);
    const memtable = new Memtable(pool);
    for (let index = 0; index < 500; index++) {
      memtable.add({
        key: key(index),
        seq: index + 1,
        kind: EntryKind.Put,
        value: Buffer.alloc(50),
      });
    }
    expect(memtable.bytes).toBeGreaterThan(4096);
    memtable.retire();
    expect(pool.bytes).toBeGreaterThan(0);
    expect(pool.bytes).toBeLessThanOrEqual(4096);
  });

  it('a memtable sized after its predecessor takes as many entries without growing its arrays', () => {
    const fill = (memtable: Memtable): void => {
      for (let index = 0; index < 20_000; index++) {
        memtable.add({
          key: key(index),
          seq: index + 1,
          kind: EntryKind.Put,
          value: Buffer.alloc(8),
        });
      }
    };
    const first = new Memtable();
    fill(first);
    expect(first.arrayGrowths).toBeGreaterThan(0);
    const next = new Memtable(undefined, first.nextSizing());
    fill(next);
    expect(next.arrayGrowths).toBe(0);
    expect([...next.entries()].map((entry) => entry.key)).toEqual(
      Array.from({ length: 20_000 }, (_, index) => key(index)),
    );
  });

  it('a pool hands out a free buffer at most half again larger than asked, else a new one', () => {
    const pool = new MemtablePool(1 << 20);
    const kept = new SharedArrayBuffer(1000);
    pool.give(kept);
    expect(pool.take(500)).not.toBe(kept); // 1000 > 1.5 x 500
    expect(pool.bytes).toBe(1000);
    expect(pool.take(800)).toBe(kept);
    expect(pool.bytes).toBe(0);
    expect(pool.take(800)).not.toBe(kept);
  });

  it('tracks bytes, count and the seq range it holds', () => {
    const { memtable } = build([
      [Buffer.from('a'), true],
      [Buffer.from('b'), false],
    ]);
    expect(memtable.count).toBe(2);
    expect(memtable.minSeq).toBe(1);
    expect(memtable.maxSeq).toBe(2);
    expect(memtable.bytes).toBeGreaterThan(2 + 4);
  });
});
