/**
 * Memtable: the newest writes, ordered in memory by compareEntries (key ascending, then seq
 * descending), as a skip list, plus a hash table from each key to its newest version so that a
 * current read (the hot path: get without a snapshot) costs one probe, not a walk down the list.
 *
 * Memory: the whole memtable lives in a few typed arrays over SharedArrayBuffers, no object per
 * version. Keys and values are copied into slabs the memtable owns; a version is one row of
 * integers. So a version costs its bytes plus ~50 (against ~710 when versions were objects
 * holding Buffer views into Node's shared 8 KiB pool, which pinned the pool's slabs with all the
 * garbage sharing them, while ~280 were counted); `bytes` counts every buffer allocated, so the
 * flush threshold is the memory really held; the garbage collector has nothing to trace; and a
 * frozen memtable reaches the background worker as shared memory (image(), imageEntries())
 * instead of being copied into a transfer.
 *
 * Shared layout (read by imageEntries in the worker thread; nothing is stored on disk):
 *   row r of `rows` (Int32Array, ROW_FIELDS per version; row 0 is the list head):
 *     KEY_SLAB, KEY_OFFSET, KEY_LENGTH      the key is keySlabs[KEY_SLAB][KEY_OFFSET, +KEY_LENGTH)
 *     VALUE_SLAB, VALUE_OFFSET, VALUE_LENGTH the value, likewise in valueSlabs
 *     KIND       EntryKind
 *     NEXT       the next row on level 0 of the skip list; 0 ends the list
 *     UP         where this row's links for levels 1..height-1 start in `links`; -1 if height 1
 *     HASH       murmur3 of the key (the hash table's probe sequence)
 *   seqs[r] (Float64Array): the version's sequence number
 *   links[UP + level - 1] (Int32Array): the next row on `level`; 0 ends that level
 * Keys and values live in separate slabs so that a search, which reads only keys, touches few
 * cache lines: with 100-byte values beside 16-byte keys an insert took 4 us, apart 1.5 us.
 *
 * Laws:
 * - every version of a key is kept (the flush decides what survives, see compaction/retention);
 * - `get(key, maxSeq)` returns the newest entry of `key` with seq <= maxSeq, tombstones included;
 * - an insert never disturbs a running iterator: the iterator may or may not see an entry added
 *   after it started, and readers filter by sequence number, so what they return is exactly the
 *   state at their snapshot either way;
 * - while the memtable lives, bytes written to a slab or a row are never written again;
 * - its memory goes back to its MemtablePool only once it is retired (flushed) and unpinned (no
 *   iteration in it), and nothing handed out points into it: get() and entries() return
 *   copies (the pool gives the memory to a later memtable).
 */
import { Entry, EntryKind } from './entry';
import { murmur3 } from './sstable/bloom';

/** Levels of the skip list: with branching 4, enough for ~16 M entries before search slows. */
const HEIGHT_MAX = 12;
/** One node in BRANCHING is promoted to the next level. */
const BRANCHING = 4;

const KEY_SLAB = 0;
const KEY_OFFSET = 1;
const KEY_LENGTH = 2;
const NEXT = 3;
const HASH = 4;
const VALUE_SLAB = 5;
const VALUE_OFFSET = 6;
const VALUE_LENGTH = 7;
const KIND = 8;
const UP = 9;
const ROW_FIELDS = 10;
/** Row 0 is the head; 0 as a link means "none". */
const HEAD = 0;

/** First capacities: a small memtable (tests, a quiet node) reserves little. */
const SLAB_BYTES_MIN = 1024;
const ROWS_INITIAL = 16;
const LINKS_INITIAL = 16;
/** Slabs double up to this: large enough that slab tails waste little. */
const SLAB_BYTES_MAX = 1024 * 1024;
/** Values this large get a slab of their own instead of a shared slab's tail (keys are
 * smaller than this: KEY_BYTES_MAX). */
const OWN_SLAB_BYTES_MIN = 64 * 1024;
/** Arrays grow by half: capacity beyond use stays under a third of what they hold. */
const GROWTH_FACTOR = 1.5;
/** A memtable sized after its predecessor reserves this much more, so it rarely grows. */
const SIZING_HEADROOM = 1.25;
/**
 * The first memtable has no predecessor to size it: it assumes entries this small (16-byte keys,
 * 100-byte values and the row), so that it seldom grows; later ones follow their predecessor.
 */
const FIRST_ENTRY_BYTES_GUESS = 160;
/** The pool hands out a buffer up to this much larger than asked (sizes drift a little). */
const POOL_SLACK = 1.5;
/** The hash table is at most half full, so probe runs stay short. */
const HASH_LOAD_MAX = 0.5;
const HASH_SLOTS_INITIAL = 16;
/** Hash seed for the newest-version table (in-memory only; any constant works). */
const HASH_SEED = 0x9747b28c;

export interface MemtableRange {
  gte?: Buffer;
  lt?: Buffer;
  /** Only entries with seq <= maxSeq. */
  maxSeq?: number;
}

/**
 * First capacities of a memtable's arrays, taken from the memtable before it: every array is
 * allocated once at about its final size instead of growing by copies (each growth left the old
 * array behind, ~2x the final arrays in all, and an odd size nobody reuses).
 */
export interface MemtableSizing {
  rows: number;
  links: number;
  slots: number;
}

/** A frozen memtable's shared memory, for reading its entries in another thread. */
export interface MemtableImage {
  rows: Int32Array;
  seqs: Float64Array;
  keySlabs: Uint8Array[];
  valueSlabs: Uint8Array[];
}

/**
 * Shared memory of retired memtables, kept by size for the next memtables: the garbage
 * collector frees a SharedArrayBuffer only after both threads dropped it, and the allocator
 * rarely returns freed blocks to the OS, so fresh buffers for every memtable pushed the
 * process's resident memory far past two memtables (403 MiB peak RSS filling 1M entries with
 * 64 MiB memtables). Each memtable goes through the same sequence of sizes (slabs and arrays
 * grow the same way), so retired buffers fit the next ones.
 *
 * Law: the pool holds at most `bytesMax` bytes; a buffer given back beyond that is dropped.
 */
export class MemtablePool {
  private readonly free = new Map<number, SharedArrayBuffer[]>();
  /** Bytes held for reuse. */
  bytes = 0;

  /** @param bytesMax most bytes kept for reuse (the engine keeps one memtable's worth). */
  constructor(readonly bytesMax: number) {}

  /** A buffer of at least `byteLength` bytes (at most POOL_SLACK times more), arbitrary contents. */
  take(byteLength: number): SharedArrayBuffer {
    let best: number | undefined;
    for (const [size, list] of this.free) {
      if (list.length === 0 || size < byteLength || size > byteLength * POOL_SLACK) continue;
      if (best === undefined || size < best) best = size;
    }
    if (best === undefined) return new SharedArrayBuffer(byteLength);
    this.bytes -= best;
    return this.free.get(best)!.pop()!;
  }

  /** Capacities for a memtable that has no predecessor, from the memtable size limit. */
  firstSizing(): MemtableSizing {
    return sizingFor(Math.floor(this.bytesMax / FIRST_ENTRY_BYTES_GUESS), 0);
  }

  /** Takes back a buffer nobody reads or writes any more. */
  give(buffer: SharedArrayBuffer): void {
    if (this.bytes + buffer.byteLength > this.bytesMax) return;
    const list = this.free.get(buffer.byteLength);
    if (list === undefined) this.free.set(buffer.byteLength, [buffer]);
    else list.push(buffer);
    this.bytes += buffer.byteLength;
  }
}

/** A memtable without a pool of its own (tests, tools) allocates and drops its memory. */
const NO_POOL = new MemtablePool(0);

export class Memtable {
  // Allocated by the first add, so an empty memtable holds (and counts) nothing.
  private rows: Int32Array = new Int32Array(0);
  private seqs: Float64Array = new Float64Array(0);
  private links: Int32Array = new Int32Array(0);
  /** The head's links take the first HEIGHT_MAX - 1 places. */
  private linksUsed = HEIGHT_MAX - 1;
  /** Open addressing; each slot holds the row of a key's newest version, 0 when free. */
  private slots: Int32Array = new Int32Array(0);
  private readonly keys: SlabSpace;
  private readonly values: SlabSpace;
  /** Iterations in progress over this memtable. */
  private pins = 0;
  private retired = false;
  private released = false;
  private height = 1;
  private distinctKeys = 0;
  /** Reused by add(): the rows after which the new one is linked, per level. */
  private readonly previous = new Int32Array(HEIGHT_MAX);
  /** Bytes of every buffer this memtable allocated (slabs and arrays, at their capacity). */
  bytes = 0;
  /** Versions held. */
  count = 0;
  /** Times an array was replaced by a larger copy (sizing from the predecessor avoids them). */
  arrayGrowths = 0;
  minSeq = Number.POSITIVE_INFINITY;
  maxSeq = 0;

  constructor(
    private readonly pool: MemtablePool = NO_POOL,
    private readonly sizing?: MemtableSizing,
  ) {
    this.keys = new SlabSpace(pool);
    this.values = new SlabSpace(pool);
  }

  /** Capacities for the memtable that follows this one (see MemtableSizing). */
  nextSizing(): MemtableSizing {
    return sizingFor(Math.ceil((this.count + 1) * SIZING_HEADROOM), this.linksUsed);
  }

  /** Marks an iteration in progress: the memory stays until as many unpin() calls. */
  pin(): void {
    this.pins++;
  }

  unpin(): void {
    if (this.pins <= 0) throw new Error('memtable: unpin without pin');
    this.pins--;
    if (this.retired && this.pins === 0) this.release();
  }

  /** The memtable is flushed and gone from the engine: its memory returns to the pool once
   * no iteration is in it. */
  retire(): void {
    this.retired = true;
    if (this.pins === 0) this.release();
  }

  /** Adds one version, copying its key and value. (key, seq) pairs are unique: a repeat is a bug. */
  add(entry: Entry): void {
    this.checkLive();
    if (this.count === 0 && this.rows.length === 0) this.allocate();
    const { key, seq } = entry;
    const rows = this.rows;
    const previous = this.previous;
    let node = HEAD;
    for (let level = this.height - 1; level >= 0; level--) {
      for (;;) {
        const next = this.link(node, level);
        if (next === HEAD || this.compareRow(next, key, seq) >= 0) break;
        node = next;
      }
      previous[level] = node;
    }
    const following = rows[node * ROW_FIELDS + NEXT]!;
    if (following !== HEAD && this.compareRow(following, key, seq) === 0) {
      throw new Error(`memtable: duplicate entry for seq ${seq}`);
    }
    const height = randomHeight();
    for (let level = this.height; level < height; level++) previous[level] = HEAD;
    if (height > this.height) this.height = height;
    const row = this.store(entry, height);
    for (let level = 0; level < height; level++) {
      this.setLink(row, level, this.link(previous[level]!, level));
      this.setLink(previous[level]!, level, row);
    }
    this.indexNewest(row);
    if (seq < this.minSeq) this.minSeq = seq;
    if (seq > this.maxSeq) this.maxSeq = seq;
  }

  /**
   * Newest entry of `key` with seq <= maxSeq (a tombstone is returned as such). Its key is
   * `key` itself; its value is a copy.
   */
  get(key: Buffer, maxSeq = Number.MAX_SAFE_INTEGER): Entry | undefined {
    this.checkLive();
    if (this.count === 0) return undefined;
    const newest = this.findNewest(key, keyHash(key));
    if (newest === HEAD) return undefined;
    if (this.seqs[newest]! <= maxSeq) return this.toEntry(newest, key);
    const row = this.seek(key, maxSeq);
    if (row !== HEAD && this.compareKey(row, key) === 0) return this.toEntry(row, key);
    return undefined;
  }

  /** Entries in compareEntries order, every version, optionally bounded; keys and values are
   * copies. The caller pins the memtable if it may be retired before the iteration ends. */
  *entries(range: MemtableRange = {}): IterableIterator<Entry> {
    this.checkLive();
    if (this.count === 0) return;
    const maxSeq = range.maxSeq ?? Number.MAX_SAFE_INTEGER;
    const { lt } = range;
    let row =
      range.gte === undefined
        ? this.rows[HEAD * ROW_FIELDS + NEXT]!
        : this.seek(range.gte, Number.MAX_SAFE_INTEGER);
    for (; row !== HEAD; row = this.rows[row * ROW_FIELDS + NEXT]!) {
      if (lt !== undefined && this.compareKey(row, lt) >= 0) return;
      if (this.seqs[row]! <= maxSeq) yield this.toEntry(row, undefined);
      this.checkLive();
    }
  }

  /** The shared memory of this memtable; it must receive no more adds (it is frozen). */
  image(): MemtableImage {
    this.checkLive();
    return {
      rows: this.rows,
      seqs: this.seqs,
      keySlabs: [...this.keys.slabs],
      valueSlabs: [...this.values.slabs],
    };
  }

  /** Gives all memory to the pool; any later use is a bug. */
  private release(): void {
    if (this.released) return;
    this.released = true;
    for (const array of [this.rows, this.seqs, this.links, this.slots]) {
      if (array.buffer instanceof SharedArrayBuffer) this.pool.give(array.buffer);
    }
    this.keys.release();
    this.values.release();
  }

  private checkLive(): void {
    if (this.released) throw new Error('memtable: used after its memory was released');
  }

  /** The first arrays (the head row and its links included), zeroed: 0 means "no link". */
  private allocate(): void {
    const sizing = this.sizing ?? this.pool.firstSizing();
    const rows = Math.max(ROWS_INITIAL, sizing.rows);
    this.rows = this.int32s(rows * ROW_FIELDS).fill(0);
    this.seqs = this.float64s(rows);
    this.links = this.int32s(Math.max(LINKS_INITIAL, sizing.links)).fill(0);
    this.slots = this.int32s(Math.max(HASH_SLOTS_INITIAL, sizing.slots)).fill(0);
    this.bytes += bufferBytes(this.rows) + bufferBytes(this.seqs);
    this.bytes += bufferBytes(this.links) + bufferBytes(this.slots);
  }

  private int32s(length: number): Int32Array {
    return new Int32Array(this.pool.take(length * Int32Array.BYTES_PER_ELEMENT), 0, length);
  }

  private float64s(length: number): Float64Array {
    return new Float64Array(this.pool.take(length * Float64Array.BYTES_PER_ELEMENT), 0, length);
  }

  /**
   * Replaced by a larger copy: nobody reads the old array any more (readers use this.*). It is
   * left to the garbage collector, not the pool: its size is one the next memtables skip.
   */
  private retireArray(array: Int32Array | Float64Array): void {
    this.arrayGrowths++;
    this.bytes -= bufferBytes(array);
  }

  /** Copies the key and value into slabs and fills a new row (not yet linked). */
  private store(entry: Entry, height: number): number {
    const { key, value } = entry;
    const bytesBefore = this.keys.bytes + this.values.bytes;
    const keyOffset = this.keys.reserve(key.length);
    key.copy(this.keys.slabs[this.keys.last]!, keyOffset);
    const valueOffset = this.values.reserve(value.length);
    value.copy(this.values.slabs[this.values.last]!, valueOffset);
    this.bytes += this.keys.bytes + this.values.bytes - bytesBefore;
    const row = ++this.count;
    if ((row + 1) * ROW_FIELDS > this.rows.length) this.growRows();
    const base = row * ROW_FIELDS;
    const rows = this.rows;
    rows[base + KEY_SLAB] = this.keys.last;
    rows[base + KEY_OFFSET] = keyOffset;
    rows[base + KEY_LENGTH] = key.length;
    rows[base + NEXT] = HEAD;
    rows[base + HASH] = keyHash(key);
    rows[base + VALUE_SLAB] = this.values.last;
    rows[base + VALUE_OFFSET] = valueOffset;
    rows[base + VALUE_LENGTH] = value.length;
    rows[base + KIND] = entry.kind;
    this.seqs[row] = entry.seq;
    if (height === 1) {
      rows[base + UP] = -1;
    } else {
      if (this.linksUsed + height - 1 > this.links.length) this.growLinks(height - 1);
      rows[base + UP] = this.linksUsed;
      this.linksUsed += height - 1;
    }
    return row;
  }

  /** Records `row` as its key's newest version if it is (seqs only grow per key in practice). */
  private indexNewest(row: number): void {
    const rows = this.rows;
    const hash = rows[row * ROW_FIELDS + HASH]!;
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const held = this.slots[slot]!;
      if (held === HEAD) {
        this.slots[slot] = row;
        if (++this.distinctKeys > this.slots.length * HASH_LOAD_MAX) this.growSlots();
        return;
      }
      if (rows[held * ROW_FIELDS + HASH] === hash && this.sameKey(held, row)) {
        if (this.seqs[held]! < this.seqs[row]!) this.slots[slot] = row;
        return;
      }
    }
  }

  /** Row of the newest version of `key`, or HEAD when the memtable has none. */
  private findNewest(key: Buffer, hash: number): number {
    const rows = this.rows;
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const held = this.slots[slot]!;
      if (held === HEAD) return HEAD;
      if (rows[held * ROW_FIELDS + HASH] === hash && this.compareKey(held, key) === 0) return held;
    }
  }

  /** First row ordered at or after (key, seq), or HEAD. */
  private seek(key: Buffer, seq: number): number {
    let node = HEAD;
    for (let level = this.height - 1; level >= 0; level--) {
      for (;;) {
        const next = this.link(node, level);
        if (next === HEAD || this.compareRow(next, key, seq) >= 0) break;
        node = next;
      }
    }
    return this.rows[node * ROW_FIELDS + NEXT]!;
  }

  /** compareEntries(row's version, {key, seq}) as -1, 0 or 1. */
  private compareRow(row: number, key: Buffer, seq: number): number {
    const byKey = this.compareKey(row, key);
    if (byKey !== 0) return byKey;
    const rowSeq = this.seqs[row]!;
    return seq === rowSeq ? 0 : seq < rowSeq ? -1 : 1;
  }

  /** Unsigned bytewise order of the row's key and `key` as -1, 0 or 1. */
  private compareKey(row: number, key: Buffer): number {
    const base = row * ROW_FIELDS;
    const rows = this.rows;
    const slab = this.keys.slabs[rows[base + KEY_SLAB]!]!;
    const offset = rows[base + KEY_OFFSET]!;
    const rowLength = rows[base + KEY_LENGTH]!;
    const keyLength = key.length;
    const length = rowLength < keyLength ? rowLength : keyLength;
    for (let index = 0; index < length; index++) {
      const difference = slab[offset + index]! - key[index]!;
      if (difference !== 0) return difference < 0 ? -1 : 1;
    }
    return rowLength === keyLength ? 0 : rowLength < keyLength ? -1 : 1;
  }

  private sameKey(a: number, b: number): boolean {
    const rows = this.rows;
    const length = rows[a * ROW_FIELDS + KEY_LENGTH]!;
    if (rows[b * ROW_FIELDS + KEY_LENGTH] !== length) return false;
    const slabs = this.keys.slabs;
    const aSlab = slabs[rows[a * ROW_FIELDS + KEY_SLAB]!]!;
    const bSlab = slabs[rows[b * ROW_FIELDS + KEY_SLAB]!]!;
    const aOffset = rows[a * ROW_FIELDS + KEY_OFFSET]!;
    const bOffset = rows[b * ROW_FIELDS + KEY_OFFSET]!;
    for (let index = 0; index < length; index++) {
      if (aSlab[aOffset + index] !== bSlab[bOffset + index]) return false;
    }
    return true;
  }

  private link(row: number, level: number): number {
    if (level === 0) return this.rows[row * ROW_FIELDS + NEXT]!;
    return this.links[this.rows[row * ROW_FIELDS + UP]! + level - 1]!;
  }

  private setLink(row: number, level: number, target: number): void {
    if (level === 0) this.rows[row * ROW_FIELDS + NEXT] = target;
    else this.links[this.rows[row * ROW_FIELDS + UP]! + level - 1] = target;
  }

  /** The row as an Entry of copies (the memory may go to another memtable later). */
  private toEntry(row: number, key: Buffer | undefined): Entry {
    const rows = this.rows;
    const base = row * ROW_FIELDS;
    return {
      key:
        key ??
        this.keys.copy(rows[base + KEY_SLAB]!, rows[base + KEY_OFFSET]!, rows[base + KEY_LENGTH]!),
      seq: this.seqs[row]!,
      kind: rows[base + KIND] as EntryKind,
      value: this.values.copy(
        rows[base + VALUE_SLAB]!,
        rows[base + VALUE_OFFSET]!,
        rows[base + VALUE_LENGTH]!,
      ),
    };
  }

  private growRows(): void {
    const capacity = Math.ceil((this.rows.length / ROW_FIELDS) * GROWTH_FACTOR);
    const rows = this.int32s(capacity * ROW_FIELDS);
    rows.set(this.rows);
    const seqs = this.float64s(capacity);
    seqs.set(this.seqs);
    this.bytes += bufferBytes(rows) + bufferBytes(seqs);
    this.retireArray(this.rows);
    this.retireArray(this.seqs);
    this.rows = rows;
    this.seqs = seqs;
  }

  private growLinks(needed: number): void {
    const capacity = Math.ceil(
      Math.max(this.links.length * GROWTH_FACTOR, this.linksUsed + needed),
    );
    const links = this.int32s(capacity);
    links.set(this.links);
    this.bytes += bufferBytes(links);
    this.retireArray(this.links);
    this.links = links;
  }

  private growSlots(): void {
    const old = this.slots;
    const slots = this.int32s(old.length * 2).fill(0);
    const mask = slots.length - 1;
    for (const row of old) {
      if (row === HEAD) continue;
      let slot = this.rows[row * ROW_FIELDS + HASH]! & mask;
      while (slots[slot] !== HEAD) slot = (slot + 1) & mask;
      slots[slot] = row;
    }
    this.bytes += bufferBytes(slots);
    this.retireArray(old);
    this.slots = slots;
  }
}

/**
 * Entries of a frozen memtable's image in compareEntries order, for another thread (see the
 * shared layout above); keys and values are views into the shared slabs.
 */
export function* imageEntries(image: MemtableImage): IterableIterator<Entry> {
  const { rows, seqs } = image;
  if (rows.length === 0) return; // never written to: not even the head row exists
  const asBuffer = (slab: Uint8Array): Buffer =>
    Buffer.from(slab.buffer, slab.byteOffset, slab.length);
  const keySlabs = image.keySlabs.map(asBuffer);
  const valueSlabs = image.valueSlabs.map(asBuffer);
  for (
    let row = rows[HEAD * ROW_FIELDS + NEXT]!;
    row !== HEAD;
    row = rows[row * ROW_FIELDS + NEXT]!
  ) {
    yield entryAt(rows, seqs, keySlabs, valueSlabs, row * ROW_FIELDS, row, undefined);
  }
}

function entryAt(
  rows: Int32Array,
  seqs: Float64Array,
  keySlabs: readonly Buffer[],
  valueSlabs: readonly Buffer[],
  base: number,
  row: number,
  key: Buffer | undefined,
): Entry {
  const keyOffset = rows[base + KEY_OFFSET]!;
  const valueOffset = rows[base + VALUE_OFFSET]!;
  return {
    key:
      key ??
      keySlabs[rows[base + KEY_SLAB]!]!.subarray(keyOffset, keyOffset + rows[base + KEY_LENGTH]!),
    seq: seqs[row]!,
    kind: rows[base + KIND] as EntryKind,
    value: valueSlabs[rows[base + VALUE_SLAB]!]!.subarray(
      valueOffset,
      valueOffset + rows[base + VALUE_LENGTH]!,
    ),
  };
}

/**
 * Append-only byte slabs: small pieces go to the tail of the last slab (slabs double from
 * SLAB_BYTES_MIN to SLAB_BYTES_MAX), large ones get a slab of their own. Rows name a slab by
 * index, so slabs are never removed or reordered.
 */
class SlabSpace {
  readonly slabs: Buffer[] = [];

  constructor(private readonly pool: MemtablePool) {}

  /** Index of the slab the last reserve() used. */
  last = -1;
  /** Bytes of all slabs. */
  bytes = 0;
  private shared = -1;
  private sharedUsed = 0;

  /** Makes room for `length` bytes in slabs[last]; returns their offset there. */
  reserve(length: number): number {
    if (length >= OWN_SLAB_BYTES_MIN) {
      this.last = this.add(length);
      return 0;
    }
    const current = this.slabs[this.shared];
    if (current === undefined || this.sharedUsed + length > current.length) {
      const doubled = 2 * (current?.length ?? 0);
      const size = Math.min(SLAB_BYTES_MAX, Math.max(SLAB_BYTES_MIN, doubled, length));
      this.shared = this.add(size);
      this.sharedUsed = 0;
    }
    this.last = this.shared;
    const offset = this.sharedUsed;
    this.sharedUsed += length;
    return offset;
  }

  /** A copy of slabs[slab][offset, offset + length). */
  copy(slab: number, offset: number, length: number): Buffer {
    const target = Buffer.allocUnsafe(length);
    this.slabs[slab]!.copy(target, 0, offset, offset + length);
    return target;
  }

  /** Gives the shared slabs to the pool (a value's own slab has a size that rarely recurs). */
  release(): void {
    for (const slab of this.slabs) {
      if (slab.length <= SLAB_BYTES_MAX) this.pool.give(slab.buffer as SharedArrayBuffer);
    }
  }

  private add(size: number): number {
    const slab = Buffer.from(this.pool.take(size));
    this.slabs.push(slab);
    this.bytes += slab.length;
    return this.slabs.length - 1;
  }
}

/** Capacities for `rows` versions; `linksUsed` 0 means "expect the skip list's average". */
function sizingFor(rows: number, linksUsed: number): MemtableSizing {
  let slots = HASH_SLOTS_INITIAL;
  while (rows > slots * HASH_LOAD_MAX) slots *= 2;
  // With one node in BRANCHING promoted per level, a row has 1 / (BRANCHING - 1) upper links.
  const links = linksUsed > 0 ? linksUsed * SIZING_HEADROOM : rows / (BRANCHING - 1);
  return { rows, links: Math.ceil(links) + HEIGHT_MAX, slots };
}

/** Bytes of the buffer under `array` (the pool may hand out a buffer larger than asked). */
function bufferBytes(array: Int32Array | Float64Array): number {
  return array.buffer.byteLength;
}

/** The hash table's hash of a key, as a signed 32-bit integer (as the rows store it). */
function keyHash(key: Buffer): number {
  return murmur3(key, HASH_SEED) | 0;
}

function randomHeight(): number {
  let height = 1;
  while (height < HEIGHT_MAX && Math.random() * BRANCHING < 1) height++;
  return height;
}
