/**
 * SSTable reader (byte grammar in writer.ts). Opening checks the footer (magic, version, CRC)
 * and loads the index, bloom and properties blocks after checking their CRCs; data blocks are
 * read on demand, CRC-checked, and kept in the shared BlockCache when one is given.
 *
 * Law: every byte handed out has passed a CRC check; any mismatch or impossible structure is
 * a CorruptionError naming the file and the offset of the damaged block or field.
 */
import * as fs from 'node:fs';
import type { BlockCache } from '../block-cache';
import { crc32 } from '../crc32';
import { Entry } from '../entry';
import { CorruptionError, EngineClosedError } from '../errors';
import { BlockCursor, DataBlock, compareBytes } from './block';
import { BloomFilter } from './bloom';
import {
  BLOCK_TRAILER_BYTES,
  BlockKind,
  FOOTER_BYTES,
  FOOTER_CRC_COVERED_BYTES,
  FOOTER_CRC_OFFSET,
  FOOTER_MAGIC_OFFSET,
  FOOTER_VERSION_OFFSET,
  SSTABLE_FORMAT_VERSION,
  SSTABLE_MAGIC,
  SSTableMeta,
  blockCrc,
  readUint64,
} from './writer';

export interface SSTableReaderOptions {
  /** The engine's number for this file: names its blocks in the cache. */
  fileNumber: number;
  /** Shared cache for data blocks. Default: none, every block read hits the file. */
  blockCache?: BlockCache;
}

export interface SSTableRange {
  /** Smallest key included. Default: from the first key. */
  gte?: Buffer;
  /** First key excluded. Default: to the last key. */
  lt?: Buffer;
  /** Only entries with seq <= maxSeq. Default: all. */
  maxSeq?: number;
  /** Put blocks read by this scan into the block cache. Default true; bulk scans pass false. */
  fillCache?: boolean;
}

interface BlockHandle {
  offset: number;
  length: number;
}

/**
 * A scan that bypasses the cache (compaction, bulk reads) reads consecutive data blocks this
 * many bytes at a time: one read and one buffer per run instead of per 4 KiB block, which
 * left the garbage collector tens of thousands of small buffers per compaction.
 */
const SCAN_READAHEAD_BYTES = 256 * 1024;

/** The data blocks [first, end) read in one piece starting at file offset `start`. */
interface BlockRun {
  first: number;
  end: number;
  start: number;
  bytes: Buffer;
}

/** Sequential decoding of a verified metadata payload; overruns throw RangeError. */
class PayloadReader {
  position = 0;
  constructor(private readonly payload: Buffer) {}

  u32(): number {
    const value = this.payload.readUInt32BE(this.position);
    this.position += 4;
    return value;
  }

  u64(): number {
    const value = readUint64(this.payload, this.position);
    this.position += 8;
    return value;
  }

  varint(): number {
    let value = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      const byte = this.payload.readUInt8(this.position++);
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    throw new RangeError('varint longer than 5 bytes');
  }

  bytes(length: number): Buffer {
    if (this.position + length > this.payload.length) throw new RangeError('field overruns block');
    const bytes = this.payload.subarray(this.position, this.position + length);
    this.position += length;
    return bytes;
  }

  expectEnd(): void {
    if (this.position !== this.payload.length) throw new RangeError('trailing bytes in block');
  }
}

/** Bytes of a key read into one window value: 257^6 < 2^53, so the value is an exact double. */
const WINDOW_BYTES = 6;

/**
 * The index's last keys as one contiguous array of numbers, so that the binary search of a get
 * touches a few cache lines instead of a Buffer object and its memory per step (that search
 * was a fifth of a cached get). Every last key shares the first `shared` bytes (the common
 * prefix of the first and the last, as they are sorted); the next WINDOW_BYTES bytes become a
 * number that keeps their order: each byte counts as byte + 1 and a missing byte as 0, so a
 * shorter key sorts first. Equal windows leave the order to the full keys.
 */
class KeyWindows {
  readonly values: Float64Array;
  private readonly prefix: Buffer;

  constructor(keys: readonly Buffer[]) {
    this.values = new Float64Array(keys.length);
    const first = keys[0];
    const last = keys[keys.length - 1];
    let shared = 0;
    if (first !== undefined && last !== undefined) {
      const limit = Math.min(first.length, last.length);
      while (shared < limit && first[shared] === last[shared]) shared++;
    }
    this.prefix = Buffer.from(first?.subarray(0, shared) ?? Buffer.alloc(0));
    keys.forEach((key, index) => (this.values[index] = windowValue(key, shared)));
  }

  /** The window value of `key`, or -1 when it does not start with the shared prefix. */
  of(key: Buffer): number {
    const prefix = this.prefix;
    const shared = prefix.length;
    if (key.length < shared) return -1;
    for (let index = 0; index < shared; index++) if (key[index] !== prefix[index]) return -1;
    return windowValue(key, shared);
  }
}

function windowValue(key: Buffer, start: number): number {
  let value = 0;
  for (let index = start; index < start + WINDOW_BYTES; index++) {
    value = value * 257 + (index < key.length ? key[index]! + 1 : 0);
  }
  return value;
}

export class SSTableReader {
  readonly meta: SSTableMeta;
  readonly fileNumber: number;
  private fd: number | undefined;
  private readonly blockCache: BlockCache | undefined;
  private readonly bloom: BloomFilter;
  /** Index as parallel arrays: the last (key, seq) of each data block and where it lies. */
  private readonly lastKeys: Buffer[] = [];
  private readonly lastSeqs: Float64Array;
  /** Search aid for findBlock, see KeyWindows. */
  private readonly windows: KeyWindows;
  private readonly blockOffsets: Float64Array;
  private readonly blockLengths: Uint32Array;
  /** Reused by get(): reads are synchronous, so one cursor per reader is never shared. */
  private readonly cursor = new BlockCursor();

  private constructor(
    readonly path: string,
    fd: number,
    options: SSTableReaderOptions,
  ) {
    this.fd = fd;
    this.fileNumber = options.fileNumber;
    this.blockCache = options.blockCache;
    const fileBytes = fs.fstatSync(fd).size;
    const footer = this.readFooter(fileBytes);
    const index = this.parse(footer.index, BlockKind.Index, (payload) => this.parseIndex(payload));
    this.lastSeqs = index.lastSeqs;
    this.windows = new KeyWindows(this.lastKeys);
    this.blockOffsets = index.blockOffsets;
    this.blockLengths = index.blockLengths;
    this.checkDataHandles(footer.index.offset);
    this.bloom = this.parse(footer.bloom, BlockKind.Bloom, (payload) => new BloomFilter(payload));
    this.meta = this.parse(footer.properties, BlockKind.Properties, (payload) =>
      this.parseProperties(payload, fileBytes),
    );
  }

  /** Opens and verifies footer, index, bloom and properties; throws CorruptionError if bad. */
  static open(path: string, options: SSTableReaderOptions): SSTableReader {
    const fd = fs.openSync(path, 'r');
    try {
      return new SSTableReader(path, fd, options);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  get blockCount(): number {
    return this.lastKeys.length;
  }

  /** Where data block `index` lies: payload offset and length (its trailer follows). */
  dataBlockExtent(index: number): { offset: number; length: number } {
    return { offset: this.blockOffsets[index], length: this.blockLengths[index] };
  }

  /** False means no entry for `key` is in this table. */
  mayContain(key: Buffer): boolean {
    return this.bloom.mayContain(key);
  }

  /**
   * The newest entry for `key` with seq <= maxSeq (tombstones included), or undefined. Its key
   * is `key` itself; its value is a copy, or a view into a private block (do not modify it).
   */
  get(key: Buffer, maxSeq = Number.MAX_SAFE_INTEGER): Entry | undefined {
    this.checkOpen();
    if (!this.bloom.mayContain(key)) return undefined;
    const blockIndex = this.findBlock(key, maxSeq);
    if (blockIndex === this.lastKeys.length) return undefined;
    const block = this.loadBlock(blockIndex, true);
    const cursor = this.cursor;
    try {
      if (!cursor.seek(block, key, maxSeq) || cursor.compareKey(key) !== 0) return undefined;
    } catch (error) {
      throw this.asCorruption(error, this.blockOffsets[blockIndex], 'data block');
    }
    return cursor.entry(key);
  }

  /**
   * Entries within the range in compareEntries order, every version (filtered by maxSeq).
   * Lazy: blocks are read as the iteration reaches them.
   */
  *entries(range: SSTableRange = {}): IterableIterator<Entry> {
    this.checkOpen();
    const { gte, lt } = range;
    const maxSeq = range.maxSeq ?? Number.MAX_SAFE_INTEGER;
    const fillCache = range.fillCache ?? true;
    const cursor = new BlockCursor();
    let blockIndex = gte === undefined ? 0 : this.findBlock(gte, Number.POSITIVE_INFINITY);
    let run: BlockRun | undefined;
    for (let first = true; blockIndex < this.lastKeys.length; blockIndex++, first = false) {
      this.checkOpen();
      let block: DataBlock;
      if (fillCache) {
        block = this.loadBlock(blockIndex, true);
      } else {
        if (run === undefined || blockIndex >= run.end) run = this.readRun(blockIndex);
        block = this.blockOfRun(run, blockIndex);
      }
      // Pinned while the iteration yields: the cache must not recycle what the cursor reads.
      block.pins++;
      try {
        cursor.reset(block);
        const positioned =
          first && gte !== undefined
            ? cursor.seek(block, gte, Number.POSITIVE_INFINITY)
            : cursor.next();
        if (!positioned) continue;
        do {
          if (lt !== undefined && cursor.compareKey(lt) >= 0) return;
          if (cursor.seq <= maxSeq) yield cursor.entry();
        } while (cursor.next());
      } catch (error) {
        throw this.asCorruption(error, this.blockOffsets[blockIndex], 'data block');
      } finally {
        block.pins--;
      }
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** First block whose last entry sorts at or after (key, seq); blockCount if none. */
  private findBlock(key: Buffer, seq: number): number {
    const windows = this.windows;
    const window = windows.of(key);
    if (window >= 0) {
      // Decided by the windows alone unless they tie; only a tie reads the keys.
      const values = windows.values;
      let low = 0;
      let high = values.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        const value = values[middle]!;
        let before = value < window;
        if (value === window) {
          const lastKey = this.lastKeys[middle];
          const byKey = compareBytes(lastKey, 0, lastKey.length, key, 0, key.length);
          before = byKey < 0 || (byKey === 0 && this.lastSeqs[middle] > seq);
        }
        if (before) low = middle + 1;
        else high = middle;
      }
      return low;
    }
    let low = 0;
    let high = this.lastKeys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const lastKey = this.lastKeys[middle];
      const byKey = compareBytes(lastKey, 0, lastKey.length, key, 0, key.length);
      if (byKey < 0 || (byKey === 0 && this.lastSeqs[middle] > seq)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private loadBlock(blockIndex: number, fillCache: boolean): DataBlock {
    const offset = this.blockOffsets[blockIndex];
    const cache = this.blockCache;
    const cached = cache?.get(this.fileNumber, offset);
    if (cached !== undefined) return cached;
    const length = this.blockLengths[blockIndex];
    const storage = fillCache ? cache?.allocate(length + BLOCK_TRAILER_BYTES) : undefined;
    const block = this.parse(
      { offset, length },
      BlockKind.Data,
      (payload) => new DataBlock(payload, storage),
      storage,
    );
    if (storage !== undefined) cache!.set(this.fileNumber, offset, block);
    return block;
  }

  /** Reads data blocks from `first` on, as many as fit SCAN_READAHEAD_BYTES (at least one). */
  private readRun(first: number): BlockRun {
    const count = this.lastKeys.length;
    const start = this.blockOffsets[first];
    let end = first;
    let bytes = 0;
    do {
      bytes += this.blockLengths[end] + BLOCK_TRAILER_BYTES;
      end++;
    } while (
      end < count &&
      bytes + this.blockLengths[end] + BLOCK_TRAILER_BYTES <= SCAN_READAHEAD_BYTES
    );
    return { first, end, start, bytes: this.readExactly(start, bytes, 'data blocks') };
  }

  /** Data block `index` of `run`, checked like a block read on its own. */
  private blockOfRun(run: BlockRun, index: number): DataBlock {
    const handle = { offset: this.blockOffsets[index], length: this.blockLengths[index] };
    const at = handle.offset - run.start;
    const bytes = run.bytes.subarray(at, at + handle.length + BLOCK_TRAILER_BYTES);
    const payload = this.checkBlock(bytes, handle, BlockKind.Data);
    try {
      return new DataBlock(payload);
    } catch (error) {
      throw this.asCorruption(error, handle.offset, 'Data block');
    }
  }

  /**
   * Reads a block (into `target` when given), checks its trailer and decodes it; decoding
   * failures become corruption.
   */
  private parse<T>(
    handle: BlockHandle,
    kind: BlockKind,
    decode: (payload: Buffer) => T,
    target?: Buffer,
  ): T {
    const payload = this.readBlock(handle, kind, target);
    try {
      return decode(payload);
    } catch (error) {
      throw this.asCorruption(error, handle.offset, `${BlockKind[kind]} block`);
    }
  }

  private readBlock(handle: BlockHandle, kind: BlockKind, target?: Buffer): Buffer {
    const what = `${BlockKind[kind].toLowerCase()} block`;
    const bytes = this.readExactly(
      handle.offset,
      handle.length + BLOCK_TRAILER_BYTES,
      what,
      target,
    );
    return this.checkBlock(bytes, handle, kind);
  }

  /** The payload of a block read with its trailer, after checking kind and CRC. */
  private checkBlock(bytes: Buffer, handle: BlockHandle, kind: BlockKind): Buffer {
    const what = `${BlockKind[kind].toLowerCase()} block`;
    const payload = bytes.subarray(0, handle.length);
    const storedKind = bytes[handle.length];
    const storedCrc = bytes.readUInt32BE(handle.length + 1);
    if (storedKind !== kind) {
      throw new CorruptionError(
        `${what} of ${handle.length} bytes has kind ${storedKind}, expected ${kind}`,
        this.path,
        handle.offset,
      );
    }
    if (blockCrc(payload, kind, handle.offset) !== storedCrc) {
      throw new CorruptionError(
        `${what} of ${handle.length} bytes fails its CRC check`,
        this.path,
        handle.offset,
      );
    }
    return payload;
  }

  private readExactly(offset: number, length: number, what: string, target?: Buffer): Buffer {
    const fd = this.checkOpen();
    const bytes =
      target === undefined ? Buffer.allocUnsafeSlow(length) : target.subarray(0, length);
    let done = 0;
    while (done < length) {
      const read = fs.readSync(fd, bytes, done, length - done, offset + done);
      if (read === 0) {
        throw new CorruptionError(
          `${what} of ${length} bytes ends early: file truncated`,
          this.path,
          offset + done,
        );
      }
      done += read;
    }
    return bytes;
  }

  private readFooter(fileBytes: number): {
    index: BlockHandle;
    bloom: BlockHandle;
    properties: BlockHandle;
  } {
    if (fileBytes < FOOTER_BYTES) {
      throw new CorruptionError(
        `file of ${fileBytes} bytes is shorter than the ${FOOTER_BYTES}-byte footer: truncated`,
        this.path,
        fileBytes,
      );
    }
    const footerOffset = fileBytes - FOOTER_BYTES;
    const footer = this.readExactly(footerOffset, FOOTER_BYTES, 'footer');
    const magic = footer.subarray(FOOTER_MAGIC_OFFSET);
    if (!magic.equals(SSTABLE_MAGIC)) {
      throw new CorruptionError(
        `bad magic ${magic.toString('hex')}: not an SSTable, or truncated`,
        this.path,
        footerOffset + FOOTER_MAGIC_OFFSET,
      );
    }
    const version = footer.readUInt32BE(FOOTER_VERSION_OFFSET);
    if (version !== SSTABLE_FORMAT_VERSION) {
      throw new CorruptionError(
        `unknown SSTable format version ${version} (this build reads ${SSTABLE_FORMAT_VERSION})`,
        this.path,
        footerOffset + FOOTER_VERSION_OFFSET,
      );
    }
    const crc = crc32(footer.subarray(0, FOOTER_CRC_COVERED_BYTES));
    if (crc !== footer.readUInt32BE(FOOTER_CRC_OFFSET)) {
      throw new CorruptionError('footer fails its CRC check', this.path, footerOffset);
    }
    const fields = new PayloadReader(footer);
    const index = { offset: fields.u64(), length: fields.u32() };
    const bloom = { offset: fields.u64(), length: fields.u32() };
    const properties = { offset: fields.u64(), length: fields.u32() };
    const handles = [index, bloom, properties];
    let expectedOffset = index.offset;
    for (const handle of handles) {
      if (handle.offset !== expectedOffset) {
        throw new CorruptionError(
          'footer block handles are not contiguous',
          this.path,
          footerOffset,
        );
      }
      expectedOffset += handle.length + BLOCK_TRAILER_BYTES;
    }
    if (expectedOffset !== footerOffset) {
      throw new CorruptionError(
        'footer block handles do not end at the footer',
        this.path,
        footerOffset,
      );
    }
    return { index, bloom, properties };
  }

  private parseIndex(payload: Buffer): {
    lastSeqs: Float64Array;
    blockOffsets: Float64Array;
    blockLengths: Uint32Array;
  } {
    const fields = new PayloadReader(payload);
    const count = fields.u32();
    // Each handle takes at least 21 bytes: an impossible count is caught before allocating.
    if (count * 21 > payload.length) throw new RangeError(`index block count ${count} too large`);
    const lastSeqs = new Float64Array(count);
    const blockOffsets = new Float64Array(count);
    const blockLengths = new Uint32Array(count);
    for (let index = 0; index < count; index++) {
      this.lastKeys.push(fields.bytes(fields.varint()));
      lastSeqs[index] = fields.u64();
      blockOffsets[index] = fields.u64();
      blockLengths[index] = fields.u32();
    }
    fields.expectEnd();
    return { lastSeqs, blockOffsets, blockLengths };
  }

  /** Data blocks must tile the file from offset 0 up to the index block. */
  private checkDataHandles(indexOffset: number): void {
    let expectedOffset = 0;
    for (let index = 0; index < this.blockOffsets.length; index++) {
      if (this.blockOffsets[index] !== expectedOffset) {
        throw new CorruptionError(
          `index entry ${index} points at ${this.blockOffsets[index]}, expected ${expectedOffset}`,
          this.path,
          indexOffset,
        );
      }
      expectedOffset += this.blockLengths[index] + BLOCK_TRAILER_BYTES;
    }
    if (expectedOffset !== indexOffset) {
      throw new CorruptionError(
        'data blocks do not end at the index block',
        this.path,
        indexOffset,
      );
    }
  }

  private parseProperties(payload: Buffer, fileBytes: number): SSTableMeta {
    const fields = new PayloadReader(payload);
    const entryCount = fields.u64();
    const tombstoneCount = fields.u64();
    const minSeq = fields.u64();
    const maxSeq = fields.u64();
    const smallestKey = Buffer.from(fields.bytes(fields.u32()));
    const largestKey = Buffer.from(fields.bytes(fields.u32()));
    fields.expectEnd();
    return {
      fileNumber: this.fileNumber,
      path: this.path,
      bytes: fileBytes,
      entryCount,
      smallestKey,
      largestKey,
      minSeq,
      maxSeq,
      tombstoneCount,
    };
  }

  private asCorruption(error: unknown, offset: number, what: string): unknown {
    if (!(error instanceof RangeError)) return error;
    return new CorruptionError(`${what} is malformed: ${error.message}`, this.path, offset);
  }

  private checkOpen(): number {
    if (this.fd === undefined) throw new EngineClosedError(`SSTable ${this.path} is closed`);
    return this.fd;
  }
}
