import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlockCache } from '../block-cache';
import { Entry, EntryKind, compareEntries } from '../entry';
import { InvalidArgumentError } from '../errors';
import { SSTableReader, SSTableWriter, SSTableWriterOptions } from './index';

let directory: string;
let fileCounter = 0;

beforeAll(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'pairdb-sstable-'));
});

afterAll(() => {
  fs.rmSync(directory, { recursive: true, force: true });
});

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

function tombstoneValue(unixMs: number): Buffer {
  const value = Buffer.alloc(8);
  value.writeBigUInt64BE(BigInt(unixMs));
  return value;
}

/** Sorted entries: shared key prefixes, 1-3 versions per key, about 15% tombstones. */
function randomEntries(count: number, seed: number): Entry[] {
  const random = randomSource(seed);
  const entries: Entry[] = [];
  const seen = new Set<string>();
  let seq = 1;
  while (entries.length < count) {
    const key = Buffer.from(`tenant-${Math.floor(random() * 5)}/key-${Math.floor(random() * 1e9)}`);
    if (seen.has(key.toString('hex'))) continue;
    seen.add(key.toString('hex'));
    const versions = 1 + Math.floor(random() * 3);
    for (let version = 0; version < versions && entries.length < count; version++) {
      const deleted = random() < 0.15;
      entries.push({
        key,
        seq: seq++,
        kind: deleted ? EntryKind.Delete : EntryKind.Put,
        value: deleted ? tombstoneValue(1_700_000_000_000 + seq) : Buffer.from(`value-${seq}`),
      });
    }
  }
  return entries.sort(compareEntries);
}

function writeTable(entries: Entry[], options?: SSTableWriterOptions): string {
  const file = path.join(directory, `${++fileCounter}.sst`);
  const writer = new SSTableWriter(file, options);
  for (const entry of entries) writer.add(entry);
  writer.finish();
  return file;
}

function plain(entry: Entry | undefined): unknown {
  if (entry === undefined) return undefined;
  return {
    key: entry.key.toString('hex'),
    seq: entry.seq,
    kind: entry.kind,
    value: entry.value.toString('hex'),
  };
}

/** The model of get(key, maxSeq): first entry of the key in sorted order with seq <= maxSeq. */
function modelGet(entries: Entry[], key: Buffer, maxSeq: number): Entry | undefined {
  return entries.find((entry) => entry.key.equals(key) && entry.seq <= maxSeq);
}

describe('SSTable round trip', () => {
  it.each([64, 256, 4096])(
    'returns every entry, version and tombstone with %i-byte blocks',
    (blockBytes) => {
      const entries = randomEntries(3000, blockBytes);
      const file = writeTable(entries, { blockBytes });
      const reader = SSTableReader.open(file, { fileNumber: 1 });
      try {
        expect([...reader.entries()].map(plain)).toEqual(entries.map(plain));
        expect(reader.meta.entryCount).toBe(entries.length);
        expect(reader.meta.tombstoneCount).toBe(
          entries.filter((entry) => entry.kind === EntryKind.Delete).length,
        );
        expect(reader.meta.smallestKey).toEqual(entries[0].key);
        expect(reader.meta.largestKey).toEqual(entries[entries.length - 1].key);
        expect(reader.meta.minSeq).toBe(Math.min(...entries.map((entry) => entry.seq)));
        expect(reader.meta.maxSeq).toBe(Math.max(...entries.map((entry) => entry.seq)));
        expect(reader.meta.bytes).toBe(fs.statSync(file).size);
        expect(reader.blockCount).toBeGreaterThan(1);
      } finally {
        reader.close();
      }
    },
  );

  it('get returns the newest version of every key, tombstones included', () => {
    const entries = randomEntries(2000, 7);
    const reader = SSTableReader.open(writeTable(entries, { blockBytes: 512 }), { fileNumber: 1 });
    for (const entry of entries) {
      expect(plain(reader.get(entry.key))).toEqual(plain(modelGet(entries, entry.key, Infinity)));
    }
    reader.close();
  });

  it('get with maxSeq sees the table as of that sequence number, across block boundaries', () => {
    // Many versions of few keys, tiny blocks: versions of one key straddle blocks.
    const entries: Entry[] = [];
    let seq = 1;
    for (let round = 0; round < 40; round++) {
      for (const name of ['a', 'b', 'c']) {
        entries.push({
          key: Buffer.from(name),
          seq: seq++,
          kind: EntryKind.Put,
          value: Buffer.from(`${name}${round}`),
        });
      }
    }
    entries.sort(compareEntries);
    const reader = SSTableReader.open(writeTable(entries, { blockBytes: 64 }), { fileNumber: 1 });
    expect(reader.blockCount).toBeGreaterThan(10);
    for (const name of ['a', 'b', 'c', 'd', '']) {
      for (let maxSeq = 0; maxSeq <= seq; maxSeq++) {
        const key = Buffer.from(name);
        expect(plain(reader.get(key, maxSeq))).toEqual(plain(modelGet(entries, key, maxSeq)));
      }
    }
    reader.close();
  });

  it('get of absent keys between, before and after the stored keys returns undefined', () => {
    const entries = randomEntries(1000, 11);
    const reader = SSTableReader.open(writeTable(entries, { blockBytes: 256 }), { fileNumber: 1 });
    const probes = [Buffer.alloc(0), Buffer.from([0]), Buffer.from([0xff, 0xff])];
    for (const entry of entries.slice(0, 200))
      probes.push(Buffer.concat([entry.key, Buffer.from([0])]));
    for (const probe of probes) {
      expect(reader.get(probe)).toBeUndefined();
    }
    reader.close();
  });

  // findBlock searches numbers made of the 6 bytes after the keys' shared prefix; keys that end
  // inside those bytes, extreme byte values and probes off the prefix must all still be found.
  it('get finds every key and no probe when keys differ in length and extreme bytes', () => {
    const random = randomSource(23);
    const alphabet = [0x00, 0x01, 0x7f, 0xfe, 0xff];
    const randomKey = (prefix: string): Buffer =>
      Buffer.concat([
        Buffer.from(prefix),
        Buffer.from(
          Array.from(
            { length: Math.floor(random() * 10) },
            () => alphabet[Math.floor(random() * 5)],
          ),
        ),
      ]);
    const byHex = new Map<string, Buffer>();
    while (byHex.size < 1500) {
      const key = randomKey('shared/');
      byHex.set(key.toString('hex'), key);
    }
    let seq = 1;
    const entries: Entry[] = [...byHex.values()].flatMap((key) =>
      Array.from({ length: 1 + Math.floor(random() * 2) }, () => ({
        key,
        seq: seq++,
        kind: EntryKind.Put,
        value: Buffer.from(`v${seq}`),
      })),
    );
    entries.sort(compareEntries);
    const reader = SSTableReader.open(writeTable(entries, { blockBytes: 64 }), { fileNumber: 1 });
    expect(reader.blockCount).toBeGreaterThan(50);
    const probes = [...byHex.values()];
    for (let index = 0; index < 1500; index++) probes.push(randomKey('shared/'));
    for (const prefix of ['', 'shar', 'shared', 'sharee/', 'a', 'z'])
      probes.push(randomKey(prefix));
    for (const probe of probes) {
      for (const maxSeq of [Infinity, Math.floor(random() * seq)]) {
        expect(plain(reader.get(probe, maxSeq))).toEqual(plain(modelGet(entries, probe, maxSeq)));
      }
    }
    reader.close();
  });

  it('range iteration honours gte, lt and maxSeq bounds', () => {
    const entries = randomEntries(1500, 13);
    const reader = SSTableReader.open(writeTable(entries, { blockBytes: 300 }), { fileNumber: 1 });
    const random = randomSource(99);
    const pick = (): Buffer => {
      const entry = entries[Math.floor(random() * entries.length)];
      // Half the bounds are stored keys, half fall between keys.
      return random() < 0.5 ? entry.key : Buffer.concat([entry.key, Buffer.from([random() * 256])]);
    };
    for (let trial = 0; trial < 60; trial++) {
      const range = {
        gte: random() < 0.8 ? pick() : undefined,
        lt: random() < 0.8 ? pick() : undefined,
        maxSeq: random() < 0.5 ? Math.floor(random() * entries.length) : undefined,
      };
      const expected = entries.filter(
        (entry) =>
          (range.gte === undefined || Buffer.compare(entry.key, range.gte) >= 0) &&
          (range.lt === undefined || Buffer.compare(entry.key, range.lt) < 0) &&
          (range.maxSeq === undefined || entry.seq <= range.maxSeq),
      );
      expect([...reader.entries(range)].map(plain)).toEqual(expected.map(plain));
    }
    reader.close();
  });

  it('an empty table opens, has no entries and answers every get with undefined', () => {
    const reader = SSTableReader.open(writeTable([]), { fileNumber: 1 });
    expect([...reader.entries()]).toEqual([]);
    expect(reader.get(Buffer.from('x'))).toBeUndefined();
    expect(reader.meta).toMatchObject({ entryCount: 0, tombstoneCount: 0, minSeq: 0, maxSeq: 0 });
    expect(reader.blockCount).toBe(0);
    reader.close();
  });

  it('a single-entry table holds exactly that entry', () => {
    const entry: Entry = {
      key: Buffer.from('only'),
      seq: 42,
      kind: EntryKind.Put,
      value: Buffer.from('v'),
    };
    const reader = SSTableReader.open(writeTable([entry]), { fileNumber: 1 });
    expect([...reader.entries()].map(plain)).toEqual([plain(entry)]);
    expect(plain(reader.get(entry.key))).toEqual(plain(entry));
    expect(reader.get(entry.key, 41)).toBeUndefined();
    expect(reader.meta).toMatchObject({ entryCount: 1, minSeq: 42, maxSeq: 42 });
    reader.close();
  });

  it('keys and values larger than a block each get a block of their own', () => {
    const random = randomSource(5);
    const entries: Entry[] = [];
    for (let index = 0; index < 20; index++) {
      const key = Buffer.alloc(3000 + index * 500, index);
      key.writeUInt16BE(index, 0);
      const value = Buffer.alloc(Math.floor(random() * 10_000));
      for (let at = 0; at < value.length; at++) value[at] = Math.floor(random() * 256);
      entries.push({ key, seq: index + 1, kind: EntryKind.Put, value });
    }
    const reader = SSTableReader.open(writeTable(entries, { blockBytes: 1024 }), { fileNumber: 1 });
    expect(reader.blockCount).toBe(entries.length);
    expect([...reader.entries()].map(plain)).toEqual(entries.map(plain));
    for (const entry of entries) expect(plain(reader.get(entry.key))).toEqual(plain(entry));
    reader.close();
  });

  it('the writer refuses entries out of order or duplicated', () => {
    const writer = new SSTableWriter(path.join(directory, 'order.sst'));
    writer.add({ key: Buffer.from('b'), seq: 5, kind: EntryKind.Put, value: Buffer.alloc(0) });
    const refused = [
      { key: Buffer.from('a'), seq: 9 },
      { key: Buffer.from('b'), seq: 5 },
      { key: Buffer.from('b'), seq: 6 },
    ];
    for (const { key, seq } of refused) {
      expect(() => writer.add({ key, seq, kind: EntryKind.Put, value: Buffer.alloc(0) })).toThrow(
        InvalidArgumentError,
      );
    }
    writer.add({ key: Buffer.from('b'), seq: 4, kind: EntryKind.Delete, value: tombstoneValue(1) });
    writer.abort();
    expect(fs.existsSync(path.join(directory, 'order.sst'))).toBe(false);
  });

  it('the writer copies keys so callers may reuse their buffers', () => {
    const file = path.join(directory, 'reuse.sst');
    const writer = new SSTableWriter(file, { blockBytes: 64 });
    const key = Buffer.alloc(4);
    for (let index = 0; index < 100; index++) {
      key.writeUInt32BE(index);
      writer.add({ key, seq: 1, kind: EntryKind.Put, value: key });
    }
    const meta = writer.finish();
    expect(meta.smallestKey.readUInt32BE()).toBe(0);
    expect(meta.largestKey.readUInt32BE()).toBe(99);
    const reader = SSTableReader.open(file, { fileNumber: 1 });
    expect([...reader.entries()].map((entry) => entry.key.readUInt32BE())).toEqual(
      Array.from({ length: 100 }, (_, index) => index),
    );
    reader.close();
  });

  it('bloom filter false positive rate stays under 2% at 10 bits per key over 100k keys', () => {
    const count = 100_000;
    const file = path.join(directory, 'bloom.sst');
    const writer = new SSTableWriter(file, { bloomBitsPerKey: 10, expectedEntries: count });
    const key = (index: number): Buffer => Buffer.from(`user-${index.toString().padStart(9, '0')}`);
    for (let index = 0; index < count; index++) {
      writer.add({
        key: key(index * 2),
        seq: index + 1,
        kind: EntryKind.Put,
        value: Buffer.alloc(1),
      });
    }
    writer.finish();
    const reader = SSTableReader.open(file, { fileNumber: 1 });
    for (let index = 0; index < count; index += 97)
      expect(reader.mayContain(key(index * 2))).toBe(true);
    let falsePositives = 0;
    for (let index = 0; index < count; index++)
      if (reader.mayContain(key(index * 2 + 1))) falsePositives++;
    const rate = falsePositives / count;
    console.log(`bloom false positive rate at 10 bits/key: ${(rate * 100).toFixed(3)}%`);
    expect(rate).toBeLessThan(0.02);
    reader.close();
  });

  it('a shared block cache serves repeated reads without touching the file', () => {
    const entries = randomEntries(2000, 21);
    const cache = new BlockCache(1 << 20);
    const reader = SSTableReader.open(writeTable(entries), { fileNumber: 7, blockCache: cache });
    reader.get(entries[0].key);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 1 });
    reader.get(entries[1].key);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 });
    expect([...reader.entries({ fillCache: false })]).toHaveLength(entries.length);
    const afterScan = cache.stats();
    expect(afterScan.blocks).toBe(1);
    expect([...reader.entries()]).toHaveLength(entries.length);
    expect(cache.stats().blocks).toBe(reader.blockCount);
    cache.evictFile(7);
    expect(cache.stats()).toMatchObject({ blocks: 0, bytes: 0 });
    reader.close();
  });

  // The cache reuses evicted blocks' buffers: nothing handed out may still point into them.
  it('a value returned by get() survives the eviction and reuse of its block', () => {
    const entries = randomEntries(3000, 5).filter((entry) => entry.kind === EntryKind.Put);
    const cache = new BlockCache(5000);
    const reader = SSTableReader.open(writeTable(entries), { fileNumber: 3, blockCache: cache });
    const first = reader.get(entries[0].key)!;
    expect(first.value).toEqual(entries[0].value);
    for (const entry of entries) reader.get(entry.key);
    expect(cache.stats().blocks).toBeLessThan(reader.blockCount);
    expect(first.value).toEqual(entries[0].value);
    reader.close();
  });

  it('an iteration stays correct while gets evict and reuse the block it is walking', () => {
    const entries = randomEntries(3000, 6);
    const cache = new BlockCache(5000);
    const reader = SSTableReader.open(writeTable(entries), { fileNumber: 4, blockCache: cache });
    const seen: Entry[] = [];
    let index = 0;
    for (const entry of reader.entries()) {
      seen.push(entry);
      // Reads far from the iteration evict every other block and hand their buffers out again.
      reader.get(entries[(index += 997) % entries.length].key);
    }
    expect(seen).toEqual(entries);
    reader.close();
  });

  it('a bulk scan reading many blocks at a time returns every entry of a large table', () => {
    // Over 1 MiB of blocks: several read-ahead runs, and a run boundary inside the table.
    const entries = randomEntries(20_000, 8).map((entry) => ({
      ...entry,
      value: entry.kind === EntryKind.Put ? Buffer.alloc(60, entry.seq & 0xff) : entry.value,
    }));
    const reader = SSTableReader.open(writeTable(entries), { fileNumber: 9 });
    expect(fs.statSync(reader.path).size).toBeGreaterThan(1 << 20);
    expect([...reader.entries({ fillCache: false })].map(plain)).toEqual(entries.map(plain));
    const from = entries[12_345]!;
    expect([...reader.entries({ gte: from.key, fillCache: false })].map(plain)[0]).toEqual(
      plain(entries.find((entry) => entry.key.equals(from.key))!),
    );
    reader.close();
  });

  it('reads after close fail instead of touching a recycled descriptor', () => {
    const entries = randomEntries(10, 3);
    const reader = SSTableReader.open(writeTable(entries), { fileNumber: 1 });
    reader.close();
    expect(() => reader.get(entries[0].key)).toThrow(/closed/);
    expect(() => [...reader.entries()]).toThrow(/closed/);
  });

  it('micro-benchmark: point reads and scans on 200k entries (printed, not asserted)', () => {
    const count = 200_000;
    const entries: Entry[] = [];
    for (let index = 0; index < count; index++) {
      entries.push({
        key: Buffer.from(`key-${index.toString().padStart(10, '0')}`),
        seq: index + 1,
        kind: EntryKind.Put,
        value: Buffer.alloc(100, index & 0xff),
      });
    }
    const started = process.hrtime.bigint();
    const file = writeTable(entries, { expectedEntries: count });
    const written = process.hrtime.bigint();
    const cache = new BlockCache(64 << 20);
    const reader = SSTableReader.open(file, { fileNumber: 1, blockCache: cache });
    const random = randomSource(1);
    const reads = 100_000;
    let found = 0;
    const readStart = process.hrtime.bigint();
    for (let index = 0; index < reads; index++) {
      if (reader.get(entries[Math.floor(random() * count)].key) !== undefined) found++;
    }
    const readEnd = process.hrtime.bigint();
    let scanned = 0;
    for (const _entry of reader.entries()) scanned++;
    const scanEnd = process.hrtime.bigint();
    const perSecond = (n: number, from: bigint, to: bigint): string =>
      Math.round(n / (Number(to - from) / 1e9)).toLocaleString('en-US');
    console.log(
      [
        `SSTable micro-benchmark (${count} entries, ${fs.statSync(file).size} bytes, ${reader.blockCount} blocks)`,
        `  write: ${perSecond(count, started, written)} entries/s`,
        `  random get: ${perSecond(reads, readStart, readEnd)} reads/s (cache ${JSON.stringify(cache.stats())})`,
        `  full scan: ${perSecond(scanned, readEnd, scanEnd)} entries/s`,
      ].join('\n'),
    );
    expect(found).toBe(reads);
    expect(scanned).toBe(count);
    reader.close();
  });
});
