import fc from 'fast-check';
import { Entry, EntryKind, compareEntries } from '../entry';
import { mergeEntries, newestPerKey } from './merging-iterator';

/** Sources of sorted, per-source unique (key, seq) entries over a small key space, so keys and
 * even identical (key, seq) pairs collide across sources. */
const sourcesArbitrary = fc.array(
  fc
    .array(
      fc.record({
        key: fc.uint8Array({ maxLength: 2, max: 3 }).map((bytes) => Buffer.from(bytes)),
        seq: fc.integer({ min: 0, max: 20 }),
        kind: fc.constantFrom(EntryKind.Put, EntryKind.Delete),
        value: fc.uint8Array({ maxLength: 3 }).map((bytes) => Buffer.from(bytes)),
      }),
      { maxLength: 30 },
    )
    .map((entries) => {
      const unique = new Map<string, Entry>();
      for (const entry of entries) unique.set(`${entry.key.toString('hex')}/${entry.seq}`, entry);
      return [...unique.values()].sort(compareEntries);
    }),
  { maxLength: 6 },
);

/** The model: every entry tagged with its source, stably sorted by (compareEntries, source). */
function modelMerge(sources: Entry[][]): Entry[] {
  const tagged = sources.flatMap((entries, source) => entries.map((entry) => ({ entry, source })));
  tagged.sort((a, b) => compareEntries(a.entry, b.entry) || a.source - b.source);
  return tagged.map(({ entry }) => entry);
}

describe('mergeEntries', () => {
  it('equals a sort of all sources, earlier source first on identical (key, seq)', () => {
    fc.assert(
      fc.property(sourcesArbitrary, (sources) => {
        const merged = [...mergeEntries(sources)];
        const expected = modelMerge(sources);
        expect(merged).toHaveLength(expected.length);
        // Identity, not just equality: ties must come from the right source.
        merged.forEach((entry, index) => expect(entry).toBe(expected[index]));
      }),
      { numRuns: 500 },
    );
  });

  it('no sources and empty sources merge to nothing', () => {
    expect([...mergeEntries([])]).toEqual([]);
    expect([...mergeEntries([[], [], []])]).toEqual([]);
  });

  it('advances each source only as far as the consumer reads, and closes them when abandoned', () => {
    const pulled = [0, 0];
    const closed = [false, false];
    function* source(index: number, keys: string[]): Generator<Entry> {
      try {
        for (const key of keys) {
          pulled[index]++;
          yield { key: Buffer.from(key), seq: 1, kind: EntryKind.Put, value: Buffer.alloc(0) };
        }
      } finally {
        closed[index] = true;
      }
    }
    const merged = mergeEntries([source(0, ['a', 'c', 'e']), source(1, ['b', 'd', 'f'])]);
    expect(merged.next().value?.key.toString()).toBe('a');
    expect(pulled).toEqual([1, 1]);
    expect(merged.next().value?.key.toString()).toBe('b');
    expect(pulled).toEqual([2, 1]);
    merged.return?.();
    expect(closed).toEqual([true, true]);
  });
});

describe('newestPerKey', () => {
  it('yields exactly the newest entry per key with seq <= maxSeq, tombstones included', () => {
    fc.assert(
      fc.property(
        sourcesArbitrary,
        fc.option(fc.integer({ min: 0, max: 20 })),
        (sources, maxSeq) => {
          const options = maxSeq === null ? {} : { maxSeq };
          const result = [...newestPerKey(mergeEntries(sources), options)];
          const visible = modelMerge(sources).filter(
            (entry) => maxSeq === null || entry.seq <= maxSeq,
          );
          const expected = visible.filter(
            (entry, index) => index === 0 || !visible[index - 1].key.equals(entry.key),
          );
          expect(result).toHaveLength(expected.length);
          result.forEach((entry, index) => expect(entry).toBe(expected[index]));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a key whose versions are all newer than maxSeq disappears entirely', () => {
    const entries: Entry[] = [
      { key: Buffer.from('a'), seq: 9, kind: EntryKind.Put, value: Buffer.from('new') },
      { key: Buffer.from('b'), seq: 8, kind: EntryKind.Delete, value: Buffer.alloc(8) },
      { key: Buffer.from('b'), seq: 3, kind: EntryKind.Put, value: Buffer.from('old') },
    ];
    const visible = [...newestPerKey(entries, { maxSeq: 5 })];
    expect(visible.map((entry) => `${entry.key.toString()}@${entry.seq}`)).toEqual(['b@3']);
    const latest = [...newestPerKey(entries)];
    expect(latest.map((entry) => `${entry.key.toString()}@${entry.seq}`)).toEqual(['a@9', 'b@8']);
  });
});
