import fc from 'fast-check';
import { Entry, EntryKind, compareEntries } from '../../src/engine/entry';
import {
  KeyRange,
  retainedEntries,
  tombstoneExpired,
  tombstoneValue,
} from '../../src/engine/compaction/retention';

const GRACE_MS = 1000;
const NOW_MS = 10_000;

/** What a reader at `seq` sees for `key`: the newest version at or below seq, if a put. */
function visible(entries: readonly Entry[], key: Buffer, seq: number): string | undefined {
  const newest = entries
    .filter((entry) => entry.key.equals(key) && entry.seq <= seq)
    .sort((a, b) => b.seq - a.seq)[0];
  return newest?.kind === EntryKind.Put ? newest.value.toString() : undefined;
}

const keyArbitrary = fc.constantFrom('a', 'b', 'c', 'd').map((key) => Buffer.from(key));

const scenarioArbitrary = fc.record({
  writes: fc.array(fc.record({ key: keyArbitrary, isPut: fc.boolean(), expired: fc.boolean() }), {
    maxLength: 40,
  }),
  olderKeys: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 4 }),
  snapshots: fc.uniqueArray(fc.integer({ min: 90, max: 150 }), { maxLength: 4 }),
});

interface ScenarioInput {
  /** Versions written in this order (seq 100, 101, ...); `expired` tombstones are past grace. */
  writes: { key: Buffer; isPut: boolean; expired: boolean }[];
  /** Keys that files outside the compaction hold an older put of. */
  olderKeys: string[];
  snapshots: number[];
}

function scenario(input: ScenarioInput) {
  const entries = input.writes.map(({ key, isPut, expired }, index): Entry => ({
    key,
    seq: 100 + index,
    kind: isPut ? EntryKind.Put : EntryKind.Delete,
    value: isPut
      ? Buffer.from(`v${index}`)
      : tombstoneValue(expired ? NOW_MS - GRACE_MS : NOW_MS - GRACE_MS + 1),
  }));
  const older = [...input.olderKeys].sort().map((key, index): Entry => ({
    key: Buffer.from(key),
    seq: 10 + index,
    kind: EntryKind.Put,
    value: Buffer.from(`old-${key}`),
  }));
  const olderRanges: KeyRange[][] = [
    older.map((entry) => ({ smallestKey: entry.key, largestKey: entry.key })),
  ];
  const snapshots = [...input.snapshots].sort((a, b) => a - b);
  const retained = [
    ...retainedEntries([...entries].sort(compareEntries), {
      snapshots,
      nowMs: NOW_MS,
      tombstoneGraceMs: GRACE_MS,
      olderRanges,
    }),
  ];
  return { entries, older, snapshots, retained };
}

describe('retention', () => {
  it('no reader, current or at a live snapshot, sees a different answer (property)', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (input) => {
        const { entries, older, snapshots, retained } = scenario(input);
        for (const key of ['a', 'b', 'c', 'd'].map((k) => Buffer.from(k))) {
          for (const seq of [...snapshots, Number.MAX_SAFE_INTEGER]) {
            expect(visible([...retained, ...older], key, seq)).toBe(
              visible([...entries, ...older], key, seq),
            );
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('without snapshots exactly the newest version of each key survives, in order', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (input) => {
        const { entries, retained } = scenario({ ...input, snapshots: [] });
        expect([...retained].sort(compareEntries)).toEqual(retained);
        for (const entry of retained) {
          const newest = entries
            .filter((candidate) => candidate.key.equals(entry.key))
            .reduce((a, b) => (a.seq > b.seq ? a : b));
          expect(entry).toBe(newest);
        }
        expect(new Set(retained.map((entry) => entry.key.toString())).size).toBe(retained.length);
      }),
    );
  });

  it('keeps at most one version per key per snapshot stripe', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (input) => {
        const { retained, snapshots } = scenario(input);
        const perKey = new Map<string, number>();
        for (const entry of retained) {
          perKey.set(entry.key.toString(), (perKey.get(entry.key.toString()) ?? 0) + 1);
        }
        for (const count of perKey.values())
          expect(count).toBeLessThanOrEqual(snapshots.length + 1);
      }),
    );
  });

  it('an expired tombstone at the bottom is dropped together with what it hides', () => {
    const key = Buffer.from('k');
    const out = [
      ...retainedEntries(
        [
          { key, seq: 5, kind: EntryKind.Delete, value: tombstoneValue(0) },
          { key, seq: 4, kind: EntryKind.Put, value: Buffer.from('old') },
        ],
        { snapshots: [], nowMs: NOW_MS, tombstoneGraceMs: GRACE_MS, olderRanges: [] },
      ),
    ];
    expect(out).toEqual([]);
  });

  it('held tombstones are kept at the bottom however old, and dropped once released', () => {
    const key = Buffer.from('k');
    const tombstone = { key, seq: 5, kind: EntryKind.Delete, value: tombstoneValue(0) };
    const options = { snapshots: [], nowMs: NOW_MS, tombstoneGraceMs: GRACE_MS, olderRanges: [] };
    expect([...retainedEntries([tombstone], { ...options, tombstonesHeld: true })]).toEqual([
      tombstone,
    ]);
    expect([...retainedEntries([tombstone], { ...options, tombstonesHeld: false })]).toEqual([]);
  });

  it('a tombstone younger than the grace period is kept even at the bottom', () => {
    const key = Buffer.from('k');
    const tombstone = { key, seq: 5, kind: EntryKind.Delete, value: tombstoneValue(NOW_MS - 1) };
    const out = [
      ...retainedEntries([tombstone], {
        snapshots: [],
        nowMs: NOW_MS,
        tombstoneGraceMs: GRACE_MS,
        olderRanges: [],
      }),
    ];
    expect(out).toEqual([tombstone]);
  });

  it('an expired tombstone is kept while an older file may still hold the key', () => {
    const key = Buffer.from('k');
    const tombstone = { key, seq: 5, kind: EntryKind.Delete, value: tombstoneValue(0) };
    const out = [
      ...retainedEntries([tombstone], {
        snapshots: [],
        nowMs: NOW_MS,
        tombstoneGraceMs: GRACE_MS,
        olderRanges: [[{ smallestKey: Buffer.from('a'), largestKey: Buffer.from('z') }]],
      }),
    ];
    expect(out).toEqual([tombstone]);
  });

  it('a tombstone whose value is not an 8-byte time never expires', () => {
    const entry = { key: Buffer.from('k'), seq: 1, kind: EntryKind.Delete, value: Buffer.alloc(3) };
    expect(tombstoneExpired(entry, { nowMs: Number.MAX_SAFE_INTEGER, tombstoneGraceMs: 0 })).toBe(
      false,
    );
  });
});
