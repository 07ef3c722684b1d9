/**
 * Data blocks: the encoding of entries inside one block, the builder that writes it and the
 * cursor that reads it. The byte grammar is in writer.ts (`dataPayload`); this file keeps to it.
 *
 * Laws:
 * - Entries in a block are strictly increasing by compareEntries.
 * - Every RESTART_INTERVAL-th entry (the first included) is a restart: it shares no prefix, so
 *   its key is stored whole and a lookup can binary-search the restarts before scanning at most
 *   RESTART_INTERVAL entries.
 */
import { Entry, EntryKind } from '../entry';
import { VARINT_BYTES_MAX, varintLength, writeVarint } from './varint';

/** Entries between restart points: 16 keeps scans short while prefixes still compress well. */
export const RESTART_INTERVAL = 16;

/** Fixed bytes of an entry header after the three varints: kind (1) and seq (8). */
const ENTRY_FIXED_BYTES = 9;

/** Bytes of one restart offset and of the restart count at the end of a block. */
const RESTART_FIELD_BYTES = 4;

/** Seq is stored as two big-endian 32-bit halves. */
const TWO_POW_32 = 0x1_0000_0000;

/** A decoded block's key scratch starts at this size and grows to the longest key seen. */
const SCRATCH_KEY_BYTES_INITIAL = 64;

/** Below this many bytes a JS loop beats the native Buffer.copy/compare call overhead. */
const NATIVE_BYTES_MIN = 48;

/**
 * Unsigned bytewise order of a[aStart, aEnd) and b[bStart, bEnd), like Buffer.compare: keys
 * are short, and this loop is several times faster than the native call for them.
 */
export function compareBytes(
  a: Buffer,
  aStart: number,
  aEnd: number,
  b: Buffer,
  bStart: number,
  bEnd: number,
): number {
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  const length = aLength < bLength ? aLength : bLength;
  if (length >= NATIVE_BYTES_MIN) return a.compare(b, bStart, bEnd, aStart, aEnd);
  for (let index = 0; index < length; index++) {
    const difference = a[aStart + index] - b[bStart + index];
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return aLength === bLength ? 0 : aLength < bLength ? -1 : 1;
}

/**
 * Big-endian uint32 at `offset`, for the hot decoding loops (Buffer#readUInt32BE checks its
 * bounds on every call, ~8% of a cached get). No bounds check here: next() rejects an entry
 * that overruns its block before using what it read, and restart offsets come from a block
 * whose CRC and restart array were checked.
 */
function uint32At(bytes: Buffer, offset: number): number {
  return (
    bytes[offset]! * 0x1000000 +
    ((bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!)
  );
}

/** Length of the common prefix of `a` and `b`. */
function sharedPrefixLength(a: Buffer, aLength: number, b: Buffer): number {
  const limit = Math.min(aLength, b.length);
  let index = 0;
  while (index < limit && a[index] === b[index]) index++;
  return index;
}

/** Accumulates entries into one data block payload (without the kind/CRC trailer). */
export class BlockBuilder {
  private buffer: Buffer;
  private length = 0;
  private readonly restarts: number[] = [];
  private entriesSinceRestart = 0;
  private lastKey: Buffer = Buffer.allocUnsafe(SCRATCH_KEY_BYTES_INITIAL);
  private lastKeyLength = 0;

  constructor(initialBytes: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(initialBytes, 64));
  }

  get isEmpty(): boolean {
    return this.restarts.length === 0;
  }

  /** Payload bytes if the block were finished now. */
  get payloadBytes(): number {
    return this.length + (this.restarts.length + 1) * RESTART_FIELD_BYTES;
  }

  /** Exact payload bytes after adding `entry`. */
  payloadBytesWith(entry: Entry): number {
    const restart = this.isRestartNext();
    const shared = restart ? 0 : sharedPrefixLength(this.lastKey, this.lastKeyLength, entry.key);
    const unshared = entry.key.length - shared;
    return (
      this.payloadBytes +
      (restart ? RESTART_FIELD_BYTES : 0) +
      varintLength(shared) +
      varintLength(unshared) +
      varintLength(entry.value.length) +
      ENTRY_FIXED_BYTES +
      unshared +
      entry.value.length
    );
  }

  /** Appends an entry; the caller guarantees it sorts after the previous one. */
  add(entry: Entry): void {
    let shared = 0;
    if (this.isRestartNext()) {
      this.restarts.push(this.length);
      this.entriesSinceRestart = 0;
    } else {
      shared = sharedPrefixLength(this.lastKey, this.lastKeyLength, entry.key);
    }
    const unshared = entry.key.length - shared;
    this.reserve(3 * VARINT_BYTES_MAX + ENTRY_FIXED_BYTES + unshared + entry.value.length);
    let position = writeVarint(this.buffer, this.length, shared);
    position = writeVarint(this.buffer, position, unshared);
    position = writeVarint(this.buffer, position, entry.value.length);
    this.buffer[position++] = entry.kind;
    this.buffer.writeUInt32BE(Math.floor(entry.seq / TWO_POW_32), position);
    this.buffer.writeUInt32BE(entry.seq % TWO_POW_32, position + 4);
    position += 8;
    position += entry.key.copy(this.buffer, position, shared);
    position += entry.value.copy(this.buffer, position);
    this.length = position;
    this.entriesSinceRestart++;
    if (this.lastKey.length < entry.key.length) this.lastKey = Buffer.allocUnsafe(entry.key.length);
    entry.key.copy(this.lastKey, 0);
    this.lastKeyLength = entry.key.length;
  }

  /** Returns the finished payload (a copy) and empties the builder for the next block. */
  finish(): Buffer {
    return Buffer.from(this.finishView());
  }

  /**
   * Returns the finished payload as a view into the builder's own buffer, valid until the next
   * add(), and empties the builder: the writer copies it out without an allocation per block.
   */
  finishView(): Buffer {
    this.reserve((this.restarts.length + 1) * RESTART_FIELD_BYTES);
    let position = this.length;
    for (const restart of this.restarts) position = this.buffer.writeUInt32BE(restart, position);
    position = this.buffer.writeUInt32BE(this.restarts.length, position);
    this.length = 0;
    this.restarts.length = 0;
    this.entriesSinceRestart = 0;
    this.lastKeyLength = 0;
    return this.buffer.subarray(0, position);
  }

  private isRestartNext(): boolean {
    return this.restarts.length === 0 || this.entriesSinceRestart === RESTART_INTERVAL;
  }

  private reserve(extraBytes: number): void {
    if (this.length + extraBytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + extraBytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/**
 * A verified data block payload. Decoding is lazy: only the restart count is read up front;
 * cursors decode entries on demand. The payload is never modified while the block lives.
 *
 * A block read through the BlockCache lives in `storage`, a buffer the cache hands to another
 * block read once this block is evicted (unless pinned). So no view into such a payload may
 * outlive the synchronous call that made it: cursors copy the values they hand out, and an
 * iteration that yields between entries pins the block it walks.
 */
export class DataBlock {
  readonly restartCount: number;
  /** Offset of the restart array, which is also the end of the entries. */
  readonly restartsOffset: number;
  /** Iterations walking this block; a pinned block's storage is never recycled. */
  pins = 0;

  /**
   * Throws RangeError when the payload cannot be a block; the reader reports that.
   * @param storage the recyclable buffer `payload` views into; undefined when it is private.
   */
  constructor(
    readonly payload: Buffer,
    readonly storage?: Buffer,
  ) {
    if (payload.length < RESTART_FIELD_BYTES) throw new RangeError('block shorter than its footer');
    this.restartCount = payload.readUInt32BE(payload.length - RESTART_FIELD_BYTES);
    this.restartsOffset = payload.length - (this.restartCount + 1) * RESTART_FIELD_BYTES;
    if (this.restartCount === 0 || this.restartsOffset < 0) {
      throw new RangeError(`block has an impossible restart count ${this.restartCount}`);
    }
  }

  /** Bytes this block holds in memory (what the block cache charges for it). */
  get bytes(): number {
    return this.storage?.length ?? this.payload.length;
  }

  restartOffset(index: number): number {
    // The restart array lies inside the payload (checked by the constructor) when index is.
    return uint32At(this.payload, this.restartsOffset + index * RESTART_FIELD_BYTES);
  }
}

/**
 * Walks the entries of one block without allocating per entry: the current key lives in a
 * reused scratch buffer; `entry()` materialises it only for entries the caller keeps.
 * Returned values are views into a private block payload (do not modify them), or copies when
 * the block's storage is recycled by the cache (see DataBlock).
 */
export class BlockCursor {
  /** Current key bytes are key[0, keyLength). */
  key: Buffer = Buffer.allocUnsafe(SCRATCH_KEY_BYTES_INITIAL);
  keyLength = 0;
  seq = 0;
  kind: EntryKind = EntryKind.Put;
  valueStart = 0;
  valueLength = 0;
  private payload: Buffer = Buffer.alloc(0);
  private recycled = false;
  private end = 0;
  private position = 0;

  reset(block: DataBlock): void {
    this.payload = block.payload;
    this.recycled = block.storage !== undefined;
    this.end = block.restartsOffset;
    this.position = 0;
    this.keyLength = 0;
  }

  /** Positions before the entry at restart `index`; `next()` then decodes it. */
  seekToRestart(block: DataBlock, index: number): void {
    this.position = block.restartOffset(index);
    this.keyLength = 0;
  }

  /** Decodes the next entry; false at the end of the block. */
  next(): boolean {
    if (this.position >= this.end) return false;
    const payload = this.payload;
    const shared = this.readVarint();
    const unshared = this.readVarint();
    this.valueLength = this.readVarint();
    let position = this.position;
    const kind = payload[position];
    if (kind !== EntryKind.Put && kind !== EntryKind.Delete) {
      throw new RangeError(`entry at block offset ${position} has unknown kind ${kind}`);
    }
    this.kind = kind;
    this.seq = uint32At(payload, position + 1) * TWO_POW_32 + uint32At(payload, position + 5);
    position += ENTRY_FIXED_BYTES;
    const keyLength = shared + unshared;
    if (shared > this.keyLength || position + unshared + this.valueLength > this.end) {
      throw new RangeError(`entry at block offset ${this.position} overruns its block`);
    }
    if (this.key.length < keyLength) this.growKey(keyLength);
    if (unshared >= NATIVE_BYTES_MIN) {
      payload.copy(this.key, shared, position, position + unshared);
    } else {
      const key = this.key;
      for (let index = 0; index < unshared; index++)
        key[shared + index] = payload[position + index];
    }
    this.keyLength = keyLength;
    this.valueStart = position + unshared;
    this.position = this.valueStart + this.valueLength;
    return true;
  }

  /**
   * Moves to the first entry at or after (key, seq) in compareEntries order; false if the block
   * holds none. Binary search over restarts, then a scan of at most RESTART_INTERVAL entries.
   */
  seek(block: DataBlock, key: Buffer, seq: number): boolean {
    this.reset(block);
    let low = 0;
    let high = block.restartCount - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.compareRestart(block, middle, key, seq) < 0) low = middle;
      else high = middle - 1;
    }
    this.seekToRestart(block, low);
    while (this.next()) {
      if (this.compareTo(key, seq) >= 0) return true;
    }
    return false;
  }

  /** compareEntries(current entry, { key, seq }). */
  compareTo(key: Buffer, seq: number): number {
    const byKey = compareBytes(this.key, 0, this.keyLength, key, 0, key.length);
    if (byKey !== 0) return byKey;
    return seq - this.seq;
  }

  /** Buffer.compare(current key, key). */
  compareKey(key: Buffer): number {
    return compareBytes(this.key, 0, this.keyLength, key, 0, key.length);
  }

  /**
   * The current entry as an Entry: the key is copied (or is `sameKey`, the caller's buffer of
   * the same bytes), the value is a view into a private block or a copy (see DataBlock).
   */
  entry(sameKey?: Buffer): Entry {
    let key = sameKey;
    if (key === undefined) {
      const keyLength = this.keyLength;
      key = Buffer.allocUnsafe(keyLength);
      if (keyLength >= NATIVE_BYTES_MIN) this.key.copy(key, 0, 0, keyLength);
      else for (let index = 0; index < keyLength; index++) key[index] = this.key[index];
    }
    const value = this.payload.subarray(this.valueStart, this.valueStart + this.valueLength);
    return {
      key,
      seq: this.seq,
      kind: this.kind,
      value: this.recycled ? Buffer.from(value) : value,
    };
  }

  /** compareEntries(entry at restart `index`, { key, seq }) without decoding into the cursor. */
  private compareRestart(block: DataBlock, index: number, key: Buffer, seq: number): number {
    this.position = block.restartOffset(index);
    this.readVarint();
    const keyLength = this.readVarint();
    this.readVarint();
    const keyStart = this.position + ENTRY_FIXED_BYTES;
    const byKey = compareBytes(this.payload, keyStart, keyStart + keyLength, key, 0, key.length);
    if (byKey !== 0) return byKey;
    const restartSeq =
      uint32At(this.payload, this.position + 1) * TWO_POW_32 +
      uint32At(this.payload, this.position + 5);
    return seq - restartSeq;
  }

  private readVarint(): number {
    const payload = this.payload;
    let position = this.position;
    let byte = payload[position++];
    let value = byte & 0x7f;
    let shift = 7;
    while (byte >= 0x80) {
      if (shift > 28 || position >= this.end) throw new RangeError('varint overruns its block');
      byte = payload[position++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    }
    this.position = position;
    return value;
  }

  private growKey(length: number): void {
    const grown = Buffer.allocUnsafe(Math.max(length, this.key.length * 2));
    this.key.copy(grown, 0, 0, this.keyLength);
    this.key = grown;
  }
}
