/**
 * Retention: which versions survive a flush or a compaction.
 *
 * Input: entries in compareEntries order (key ascending, newest first per key). Laws, for the
 * versions of one key:
 * - visibility is preserved: for "now" and for every live snapshot s, the newest version with
 *   seq <= s is kept, so no reader, current or at a snapshot, sees a different answer;
 * - every other version is dropped (with no live snapshot: exactly the newest one survives);
 * - a kept tombstone is dropped as well when all of these hold, since readers then see "absent"
 *   with or without it:
 *   (a) it is the oldest version kept for its key (it hides nothing a snapshot still needs),
 *   (b) no file outside this compaction may hold an older version of the key (the output is
 *       the bottom level holding the key),
 *   (c) its delete time is at least `tombstoneGraceMs` old, so replicas that missed the delete
 *       have had time to learn it through repair before it disappears,
 *   (d) tombstones are not held: the storage node holds them all while a migration runs, so none
 *       in a moving range is purged before the migration completes (docs/architecture.md#fencing).
 */
import { Entry, EntryKind } from '../entry';

export interface KeyRange {
  smallestKey: Buffer;
  largestKey: Buffer;
}

export interface RetentionOptions {
  /** Sequence numbers of live snapshots, ascending. */
  snapshots: readonly number[];
  nowMs: number;
  tombstoneGraceMs: number;
  /** True: no tombstone is dropped, whatever its age. Default false. */
  tombstonesHeld?: boolean;
  /**
   * Key ranges of the files outside the compaction that may hold older versions, one list per
   * group of mutually non-overlapping files (a level >= 1, or a single L0 file), each sorted.
   */
  olderRanges: readonly (readonly KeyRange[])[];
}

export function* retainedEntries(
  entries: Iterable<Entry>,
  options: RetentionOptions,
): IterableIterator<Entry> {
  const older = new OlderRangeIndex(options.olderRanges);
  let group: Entry[] = [];
  for (const entry of entries) {
    if (group.length > 0 && !group[0]!.key.equals(entry.key)) {
      yield* retainGroup(group, options, older);
      group = [];
    }
    group.push(entry);
  }
  if (group.length > 0) yield* retainGroup(group, options, older);
}

/** The versions of one key (newest first) that survive. */
function retainGroup(
  group: readonly Entry[],
  options: RetentionOptions,
  older: OlderRangeIndex,
): Entry[] {
  const kept: Entry[] = [];
  let lastStripe = -1;
  for (const entry of group) {
    const stripe = snapshotStripe(options.snapshots, entry.seq);
    if (stripe === lastStripe) continue;
    kept.push(entry);
    lastStripe = stripe;
  }
  while (kept.length > 0) {
    const oldest = kept[kept.length - 1]!;
    if (oldest.kind !== EntryKind.Delete || options.tombstonesHeld) break;
    if (!tombstoneExpired(oldest, options) || older.mayHold(oldest.key)) break;
    kept.pop();
  }
  return kept;
}

/** Index of the first snapshot >= seq (snapshots.length when none): the reader group it serves. */
function snapshotStripe(snapshots: readonly number[], seq: number): number {
  let low = 0;
  let high = snapshots.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (snapshots[middle]! >= seq) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** A tombstone's value is its delete time (8-byte big-endian ms); anything else never expires. */
export function tombstoneExpired(
  entry: Entry,
  options: Pick<RetentionOptions, 'nowMs' | 'tombstoneGraceMs'>,
): boolean {
  if (entry.value.length !== 8) return false;
  const deletedAtMs = Number(entry.value.readBigUInt64BE(0));
  return options.nowMs - deletedAtMs >= options.tombstoneGraceMs;
}

/** Encodes a tombstone value: the delete time in ms, 8 bytes big-endian. */
export function tombstoneValue(deletedAtMs: number): Buffer {
  const value = Buffer.alloc(8);
  value.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(deletedAtMs))));
  return value;
}

/** Answers "may a file outside the compaction hold this key?" for ascending keys. */
class OlderRangeIndex {
  private readonly positions: number[];

  constructor(private readonly lists: readonly (readonly KeyRange[])[]) {
    this.positions = lists.map(() => 0);
  }

  mayHold(key: Buffer): boolean {
    let found = false;
    this.lists.forEach((ranges, index) => {
      let position = this.positions[index]!;
      while (position < ranges.length && Buffer.compare(ranges[position]!.largestKey, key) < 0) {
        position++;
      }
      this.positions[index] = position;
      const range = ranges[position];
      if (range && Buffer.compare(range.smallestKey, key) <= 0) found = true;
    });
    return found;
  }
}
