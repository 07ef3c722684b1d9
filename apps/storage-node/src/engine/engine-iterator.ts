/**
 * Ordered iteration over a key range at one sequence number. The iterator pins what it reads
 * (the memtables it started with and a version of the SSTables) so that flushes and compactions
 * running meanwhile change nothing it returns; the pin is released when the iteration ends, is
 * abandoned through return() (a `break` out of for..of), or the iterator is garbage collected.
 */
import { Entry, EntryKind } from './entry';
import { Memtable } from './memtable';
import { mergeEntries, newestPerKey } from './merge';
import { LEVEL_COUNT } from './manifest';
import { TableCache } from './table-cache';
import { LiveFile, Version } from './version';

export interface ScanBounds {
  /** First key included (undefined: from the start). */
  gte?: Buffer;
  /** Key excluded even though it is >= gte (turns gte into "greater than"). */
  excluded?: Buffer;
  /** First key excluded (undefined: to the end). */
  lt?: Buffer;
  seq: number;
  limit: number;
}

export interface ScanSources {
  memtables: readonly Memtable[];
  version: Version;
  tables: TableCache;
  /** Called with each returned pair's size, for the engine's read counters. */
  onRead(bytes: number): void;
}

const releaseOnCollect = new FinalizationRegistry<() => void>((release) => release());

export class EngineIterator implements IterableIterator<[key: Buffer, value: Buffer]> {
  private finished = false;

  constructor(
    private readonly inner: Iterator<[Buffer, Buffer]>,
    private readonly release: () => void,
  ) {
    releaseOnCollect.register(this, release, this);
  }

  next(): IteratorResult<[Buffer, Buffer]> {
    if (this.finished) return { done: true, value: undefined };
    let result: IteratorResult<[Buffer, Buffer]>;
    try {
      result = this.inner.next();
    } catch (error) {
      this.finish();
      throw error;
    }
    if (result.done) this.finish();
    return result;
  }

  return(): IteratorResult<[Buffer, Buffer]> {
    if (!this.finished) {
      this.inner.return?.();
      this.finish();
    }
    return { done: true, value: undefined };
  }

  [Symbol.iterator](): IterableIterator<[Buffer, Buffer]> {
    return this;
  }

  private finish(): void {
    this.finished = true;
    releaseOnCollect.unregister(this);
    this.release();
  }
}

/** Pins `sources.version` and the memtables; returns the iterator (which unpins them when done). */
export function scan(bounds: ScanBounds, sources: ScanSources): EngineIterator {
  const { version, memtables } = sources;
  version.ref();
  for (const memtable of memtables) memtable.pin();
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    version.unref();
    for (const memtable of memtables) memtable.unpin();
  };
  return new EngineIterator(livePairs(bounds, sources), release);
}

function* livePairs(bounds: ScanBounds, sources: ScanSources): Generator<[Buffer, Buffer]> {
  if (bounds.limit <= 0) return;
  const range = { gte: bounds.gte, lt: bounds.lt, maxSeq: bounds.seq };
  const inputs: Iterable<Entry>[] = sources.memtables.map((memtable) => memtable.entries(range));
  const levels = sources.version.levels;
  for (const file of levels[0]!) {
    if (overlaps(file, bounds)) inputs.push(tableEntries([file], bounds, sources.tables));
  }
  for (let level = 1; level < LEVEL_COUNT; level++) {
    const files = levels[level]!.filter((file) => overlaps(file, bounds));
    if (files.length > 0) inputs.push(tableEntries(files, bounds, sources.tables));
  }
  let returned = 0;
  for (const entry of newestPerKey(mergeEntries(inputs), { maxSeq: bounds.seq })) {
    if (entry.kind !== EntryKind.Put) continue;
    if (bounds.excluded !== undefined && entry.key.equals(bounds.excluded)) continue;
    sources.onRead(entry.key.length + entry.value.length);
    yield [entry.key, entry.value];
    if (++returned >= bounds.limit) return;
  }
}

/** Entries of consecutive files (one L0 file, or the overlapping files of a level), lazily. */
function* tableEntries(
  files: readonly LiveFile[],
  bounds: ScanBounds,
  tables: TableCache,
): Generator<Entry> {
  for (const file of files) {
    const pinned = tables.pin(file);
    try {
      yield* pinned.reader.entries({ gte: bounds.gte, lt: bounds.lt, maxSeq: bounds.seq });
    } finally {
      pinned.release();
    }
  }
}

function overlaps(file: LiveFile, bounds: ScanBounds): boolean {
  if (bounds.gte !== undefined && Buffer.compare(file.meta.largestKey, bounds.gte) < 0) {
    return false;
  }
  return bounds.lt === undefined || Buffer.compare(file.meta.smallestKey, bounds.lt) < 0;
}
