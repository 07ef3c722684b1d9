/**
 * k-way merge of sorted entry streams (memtables, SSTables, compaction inputs) with a binary
 * min-heap of one cursor per source.
 *
 * Laws:
 * - Output is in compareEntries order (key ascending, seq descending) if every source is.
 * - Nothing is dropped or invented: the output is the multiset union of the sources.
 * - Ties on identical (key, seq) come out in source order: an earlier source is newer.
 * - newestPerKey yields, for each key, the first entry with seq <= maxSeq: the newest visible
 *   version, tombstones included (the caller decides what a tombstone means).
 */
import { Entry, compareEntries } from '../entry';

interface HeapItem {
  entry: Entry;
  source: number;
  iterator: Iterator<Entry>;
}

/** Heap order: compareEntries, then source order for identical (key, seq). */
function before(a: HeapItem, b: HeapItem): boolean {
  const order = compareEntries(a.entry, b.entry);
  return order < 0 || (order === 0 && a.source < b.source);
}

class EntryHeap {
  readonly items: HeapItem[] = [];

  push(item: HeapItem): void {
    const items = this.items;
    let index = items.length;
    items.push(item);
    while (index > 0) {
      const parent = (index - 1) >>> 1;
      if (!before(item, items[parent])) break;
      items[index] = items[parent];
      index = parent;
    }
    items[index] = item;
  }

  /** Restores heap order after the root's entry changed (it can only have grown). */
  siftDownRoot(): void {
    const items = this.items;
    const item = items[0];
    const length = items.length;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && before(items[right], items[left]) ? right : left;
      if (!before(items[child], item)) break;
      items[index] = items[child];
      index = child;
    }
    items[index] = item;
  }

  popRoot(): void {
    const last = this.items.pop() as HeapItem;
    if (this.items.length === 0) return;
    this.items[0] = last;
    this.siftDownRoot();
  }
}

/**
 * Merges sources, each sorted by compareEntries, into one sorted stream. Lazy: each source is
 * advanced only when its current entry has been yielded. Sources listed first are newer.
 */
export function* mergeEntries(sources: Iterable<Entry>[]): IterableIterator<Entry> {
  const heap = new EntryHeap();
  const iterators: Iterator<Entry>[] = [];
  try {
    sources.forEach((source, index) => {
      const iterator = source[Symbol.iterator]();
      iterators.push(iterator);
      const first = iterator.next();
      if (!first.done) heap.push({ entry: first.value, source: index, iterator });
    });
    const items = heap.items;
    while (items.length > 0) {
      const top = items[0];
      yield top.entry;
      const next = top.iterator.next();
      if (next.done) {
        heap.popRoot();
      } else {
        top.entry = next.value;
        heap.siftDownRoot();
      }
    }
  } finally {
    // An abandoned merge closes its sources (SSTable scans, snapshots) too.
    for (const iterator of iterators) iterator.return?.();
  }
}

export interface NewestPerKeyOptions {
  /** Ignore entries newer than this sequence number (a snapshot). Default: none ignored. */
  maxSeq?: number;
}

/** From a stream in compareEntries order, the newest entry per key with seq <= maxSeq. */
export function* newestPerKey(
  entries: Iterable<Entry>,
  options: NewestPerKeyOptions = {},
): IterableIterator<Entry> {
  const maxSeq = options.maxSeq ?? Number.MAX_SAFE_INTEGER;
  let lastKey: Buffer | undefined;
  for (const entry of entries) {
    if (entry.seq > maxSeq) continue;
    if (lastKey !== undefined && lastKey.equals(entry.key)) continue;
    lastKey = entry.key;
    yield entry;
  }
}
