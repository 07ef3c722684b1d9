/**
 * SSTable writer, and the SSTable byte grammar. Mirrored for operators in docs/format/sstable.md.
 *
 * Format version 1. Integers are big-endian; u64 is written as two u32 halves (high first) and
 * holds values below 2^53; varint is unsigned LEB128 of at most 32 bits (varint.ts).
 *
 *   file        := dataBlock* indexBlock bloomBlock propertiesBlock footer
 *   *Block      := payload trailer
 *   trailer     := blockKind:u8 crc32:u32
 *                  crc32 = CRC-32/ISO-HDLC (as zlib, crc32.ts) of payload ++ blockKind ++ blockOffset:u64,
 *                  blockOffset being where the payload starts in the file: a block written to or
 *                  read from the wrong place fails its check like a damaged one
 *   blockKind   := 1 data | 2 index | 3 bloom | 4 properties            (0 reserved)
 *
 *   dataPayload := entry+ restartOffset:u32{restartCount} restartCount:u32
 *   entry       := shared:varint unshared:varint valueLength:varint kind:u8 seq:u64
 *                  keySuffix:byte[unshared] value:byte[valueLength]
 *                  key = (previous entry's key)[0, shared) ++ keySuffix
 *   kind        := 1 Put | 2 Delete (EntryKind; 0 reserved)
 *                  entries are strictly increasing by (key ascending bytewise, seq descending)
 *                  across the whole file; every 16th entry of a block (the first included) is
 *                  a restart: shared = 0, and restartOffset lists its offset in the payload
 *
 *   indexPayload := blockCount:u32 handle{blockCount}        one handle per data block, in order
 *   handle       := lastKeyLength:varint lastKey:byte[lastKeyLength] lastSeq:u64
 *                   blockOffset:u64 blockLength:u32
 *                   (lastKey, lastSeq) is the block's last entry; blockLength counts the
 *                   payload only, its 5-byte trailer follows
 *
 *   bloomPayload := hashCount:u8 bits:byte+                  over distinct keys (bloom.ts)
 *                   h = murmur3_x86_32(key, seed 0xbc9f1d34), delta = rotr32(h, 17);
 *                   probe i (0 <= i < hashCount) sets bit ((h + i * delta) mod 2^32) mod
 *                   (8 * bits.length); bit b is bit (b mod 8) of byte floor(b / 8)
 *
 *   propertiesPayload := entryCount:u64 tombstoneCount:u64 minSeq:u64 maxSeq:u64
 *                        smallestKeyLength:u32 smallestKey:byte[smallestKeyLength]
 *                        largestKeyLength:u32 largestKey:byte[largestKeyLength]
 *                        (an empty table has zero counts and seqs and empty keys)
 *
 *   footer (52 bytes, at file end) :=
 *                  indexOffset:u64 indexLength:u32 bloomOffset:u64 bloomLength:u32
 *                  propertiesOffset:u64 propertiesLength:u32
 *                  formatVersion:u32 footerCrc:u32 magic:byte[8]
 *                  footerCrc = crc32 of the 40 footer bytes before it; magic = "PAIRDBST"
 *                  formatVersion: 1 (this layout); 0 reserved
 *
 * Readers check magic, then version, then every CRC before trusting a byte.
 */
import * as fs from 'node:fs';
import { crc32 } from '../crc32';
import { Entry, EntryKind } from '../entry';
import { InvalidArgumentError } from '../errors';
import { BlockBuilder, compareBytes } from './block';
import { BloomBuilder } from './bloom';
import { varintLength, writeVarint } from './varint';

/** Version written by this code; readers refuse versions they have no decoder for. */
export const SSTABLE_FORMAT_VERSION = 1;

/** Identifies a PairDB SSTable at the last 8 bytes of the file. */
export const SSTABLE_MAGIC = Buffer.from('PAIRDBST', 'latin1');

export const FOOTER_BYTES = 52;
/** Bytes of the footer covered by footerCrc (every field before it). */
export const FOOTER_CRC_COVERED_BYTES = 40;
export const FOOTER_VERSION_OFFSET = 36;
export const FOOTER_CRC_OFFSET = 40;
export const FOOTER_MAGIC_OFFSET = 44;

/** blockKind:u8 + crc32:u32 after every block payload. */
export const BLOCK_TRAILER_BYTES = 5;

/** DO NOT CHANGE THESE VALUES: they are stored in every block trailer. 0 is reserved. */
export enum BlockKind {
  Data = 1,
  Index = 2,
  Bloom = 3,
  Properties = 4,
}

/** Target data block payload: one 4 KiB page per read, small enough to cache many. */
export const BLOCK_BYTES_DEFAULT = 4096;

/** About 1% false positives (7 probes), the usual LSM trade of memory for skipped reads. */
export const BLOOM_BITS_PER_KEY_DEFAULT = 10;

/** Entry cap so block offsets and lengths stay far inside their 32-bit fields. */
export const ENTRY_BYTES_MAX = 256 * 1024 * 1024;

/** Whole-file cap: block offsets share a 32-bit slot in block cache keys. */
export const SSTABLE_BYTES_MAX = 0xffff_ffff;

/** Bytes gathered before one write(2): fewer syscalls without holding much memory. */
const WRITE_BUFFER_BYTES = 256 * 1024;

const TWO_POW_32 = 0x1_0000_0000;

/** The previous key's copy starts at this size and grows to the longest key seen. */
const SCRATCH_KEY_BYTES_INITIAL = 64;

/** Values below 2^53 as u64 (two u32 halves). */
export function writeUint64(target: Buffer, value: number, offset: number): number {
  target.writeUInt32BE(Math.floor(value / TWO_POW_32), offset);
  target.writeUInt32BE(value % TWO_POW_32, offset + 4);
  return offset + 8;
}

export function readUint64(source: Buffer, offset: number): number {
  return source.readUInt32BE(offset) * TWO_POW_32 + source.readUInt32BE(offset + 4);
}

/** crc32 of payload ++ kind ++ blockOffset:u64, as an unsigned 32-bit number. */
export function blockCrc(payload: Buffer, kind: BlockKind, blockOffset: number): number {
  const suffix = blockCrcSuffix;
  suffix[0] = kind;
  writeUint64(suffix, blockOffset, 1);
  return crc32(suffix, crc32(payload));
}

/** blockCrc's kind ++ offset bytes, reused: it runs synchronously on a block read path. */
const blockCrcSuffix = Buffer.alloc(9);

export interface SSTableWriterOptions {
  /** Target data block payload in bytes; a single larger entry gets a block to itself. Default 4096. */
  blockBytes?: number;
  /** Bloom filter bits per distinct key. Default 10 (about 1% false positives). */
  bloomBitsPerKey?: number;
  /** Expected entry count, to size buffers up front. Default: grow as needed. */
  expectedEntries?: number;
}

export interface SSTableMeta {
  fileNumber?: number;
  path: string;
  bytes: number;
  entryCount: number;
  smallestKey: Buffer;
  largestKey: Buffer;
  minSeq: number;
  maxSeq: number;
  tombstoneCount: number;
}

/**
 * Writes one SSTable with synchronous I/O (it runs in the compaction worker or during flush).
 * add() entries strictly increasing by compareEntries, then finish(); on any error call abort(),
 * which removes the partial file. An existing file at `path` is replaced.
 *
 * Blocks are assembled in the builder's buffer and copied into one output buffer, so writing a
 * table allocates nothing per block or per entry: a flush of a 64 MiB memtable used to leave
 * ~80 MiB of small buffers to the garbage collector, and the allocator kept the memory after
 * they were freed (resident memory grew by ~110 MiB per flush).
 */
export class SSTableWriter {
  private fd: number | undefined;
  /** Bytes added so far, buffered ones included. */
  private fileOffset = 0;
  private readonly output = Buffer.allocUnsafeSlow(WRITE_BUFFER_BYTES);
  private outputUsed = 0;
  private readonly blockBytes: number;
  private readonly block: BlockBuilder;
  private readonly bloom: BloomBuilder;
  private readonly indexKeys: Buffer[] = [];
  private readonly indexSeqs: number[] = [];
  private readonly indexOffsets: number[] = [];
  private readonly indexLengths: number[] = [];
  /** The previous entry's key is lastKey[0, lastKeyLength) (a copy: callers reuse buffers). */
  private lastKey = Buffer.allocUnsafe(SCRATCH_KEY_BYTES_INITIAL);
  private lastKeyLength = 0;
  private lastSeq = 0;
  private entryCount = 0;
  private tombstoneCount = 0;
  private minSeq = Number.MAX_SAFE_INTEGER;
  private maxSeq = 0;
  private smallestKey: Buffer = Buffer.alloc(0);

  constructor(
    readonly path: string,
    options: SSTableWriterOptions = {},
  ) {
    this.blockBytes = options.blockBytes ?? BLOCK_BYTES_DEFAULT;
    const bitsPerKey = options.bloomBitsPerKey ?? BLOOM_BITS_PER_KEY_DEFAULT;
    if (!Number.isInteger(this.blockBytes) || this.blockBytes < 64) {
      throw new InvalidArgumentError(`blockBytes must be an integer >= 64, got ${this.blockBytes}`);
    }
    if (!(bitsPerKey >= 1 && bitsPerKey <= 64)) {
      throw new InvalidArgumentError(`bloomBitsPerKey must be within [1, 64], got ${bitsPerKey}`);
    }
    this.block = new BlockBuilder(this.blockBytes * 2);
    this.bloom = new BloomBuilder(bitsPerKey, options.expectedEntries);
    this.fd = fs.openSync(path, 'w');
  }

  /** Appends an entry; it must sort strictly after the previous one. */
  add(entry: Entry): void {
    this.checkOpen();
    this.checkEntry(entry);
    const { key } = entry;
    const first = this.entryCount === 0;
    const byKey = first ? 1 : compareBytes(key, 0, key.length, this.lastKey, 0, this.lastKeyLength);
    if (byKey < 0 || (byKey === 0 && entry.seq >= this.lastSeq)) {
      const last = this.lastKey.subarray(0, this.lastKeyLength);
      throw new InvalidArgumentError(
        `entries out of order in ${this.path}: (${key.toString('hex')}, ${entry.seq}) ` +
          `after (${last.toString('hex')}, ${this.lastSeq})`,
      );
    }
    if (!this.block.isEmpty && this.block.payloadBytesWith(entry) > this.blockBytes) {
      this.flushDataBlock();
    }
    this.block.add(entry);
    if (byKey !== 0) {
      this.bloom.add(key);
      if (first) this.smallestKey = Buffer.from(key);
      if (this.lastKey.length < key.length) this.lastKey = Buffer.allocUnsafe(key.length);
      key.copy(this.lastKey);
      this.lastKeyLength = key.length;
    }
    this.lastSeq = entry.seq;
    this.entryCount++;
    if (entry.kind === EntryKind.Delete) this.tombstoneCount++;
    if (entry.seq < this.minSeq) this.minSeq = entry.seq;
    if (entry.seq > this.maxSeq) this.maxSeq = entry.seq;
  }

  /** Writes index, bloom, properties and footer, fsyncs and closes the file. */
  finish(): SSTableMeta {
    this.checkOpen();
    if (!this.block.isEmpty) this.flushDataBlock();
    const indexOffset = this.fileOffset;
    const indexPayload = this.encodeIndex();
    this.appendBlock(indexPayload, BlockKind.Index);
    const bloomOffset = this.fileOffset;
    const bloomPayload = this.bloom.finish();
    this.appendBlock(bloomPayload, BlockKind.Bloom);
    const propertiesOffset = this.fileOffset;
    const propertiesPayload = this.encodeProperties();
    this.appendBlock(propertiesPayload, BlockKind.Properties);

    const footer = Buffer.alloc(FOOTER_BYTES);
    let position = writeUint64(footer, indexOffset, 0);
    position = footer.writeUInt32BE(indexPayload.length, position);
    position = writeUint64(footer, bloomOffset, position);
    position = footer.writeUInt32BE(bloomPayload.length, position);
    position = writeUint64(footer, propertiesOffset, position);
    footer.writeUInt32BE(propertiesPayload.length, position);
    footer.writeUInt32BE(SSTABLE_FORMAT_VERSION, FOOTER_VERSION_OFFSET);
    const footerCrc = crc32(footer.subarray(0, FOOTER_CRC_COVERED_BYTES));
    footer.writeUInt32BE(footerCrc, FOOTER_CRC_OFFSET);
    SSTABLE_MAGIC.copy(footer, FOOTER_MAGIC_OFFSET);
    this.append(footer);
    this.flushOutput();

    const fd = this.fd as number;
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    this.fd = undefined;
    const empty = this.entryCount === 0;
    return {
      path: this.path,
      bytes: this.fileOffset,
      entryCount: this.entryCount,
      smallestKey: this.smallestKey,
      largestKey: Buffer.from(this.lastKey.subarray(0, this.lastKeyLength)),
      minSeq: empty ? 0 : this.minSeq,
      maxSeq: this.maxSeq,
      tombstoneCount: this.tombstoneCount,
    };
  }

  /** Closes and deletes the partial file. Safe to call more than once and after errors. */
  abort(): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // Already failed; removing the file below is what matters.
      }
      this.fd = undefined;
      fs.rmSync(this.path, { force: true });
    }
  }

  private checkOpen(): void {
    if (this.fd === undefined) {
      throw new InvalidArgumentError(`SSTable writer for ${this.path} is already finished`);
    }
  }

  private checkEntry(entry: Entry): void {
    if (!Buffer.isBuffer(entry.key) || !Buffer.isBuffer(entry.value)) {
      throw new InvalidArgumentError('entry key and value must be Buffers');
    }
    if (!Number.isSafeInteger(entry.seq) || entry.seq < 0) {
      throw new InvalidArgumentError(`entry seq must be a safe non-negative integer: ${entry.seq}`);
    }
    if (entry.kind !== EntryKind.Put && entry.kind !== EntryKind.Delete) {
      throw new InvalidArgumentError(`entry kind ${String(entry.kind)} is not Put or Delete`);
    }
    if (entry.key.length + entry.value.length > ENTRY_BYTES_MAX) {
      throw new InvalidArgumentError(
        `entry of ${entry.key.length + entry.value.length} bytes exceeds ${ENTRY_BYTES_MAX}`,
      );
    }
  }

  private flushDataBlock(): void {
    this.indexKeys.push(Buffer.from(this.lastKey.subarray(0, this.lastKeyLength)));
    this.indexSeqs.push(this.lastSeq);
    this.indexOffsets.push(this.fileOffset);
    const payload = this.block.finishView();
    this.indexLengths.push(payload.length);
    this.appendBlock(payload, BlockKind.Data);
  }

  private encodeIndex(): Buffer {
    let bytes = 4;
    for (const key of this.indexKeys) bytes += varintLength(key.length) + key.length + 20;
    const payload = Buffer.allocUnsafe(bytes);
    let position = payload.writeUInt32BE(this.indexKeys.length, 0);
    for (let index = 0; index < this.indexKeys.length; index++) {
      const key = this.indexKeys[index];
      position = writeVarint(payload, position, key.length);
      position += key.copy(payload, position);
      position = writeUint64(payload, this.indexSeqs[index], position);
      position = writeUint64(payload, this.indexOffsets[index], position);
      position = payload.writeUInt32BE(this.indexLengths[index], position);
    }
    return payload;
  }

  private encodeProperties(): Buffer {
    const empty = this.entryCount === 0;
    const largestKey = this.lastKey.subarray(0, empty ? 0 : this.lastKeyLength);
    const payload = Buffer.allocUnsafe(40 + this.smallestKey.length + largestKey.length);
    let position = writeUint64(payload, this.entryCount, 0);
    position = writeUint64(payload, this.tombstoneCount, position);
    position = writeUint64(payload, empty ? 0 : this.minSeq, position);
    position = writeUint64(payload, this.maxSeq, position);
    position = payload.writeUInt32BE(this.smallestKey.length, position);
    position += this.smallestKey.copy(payload, position);
    position = payload.writeUInt32BE(largestKey.length, position);
    largestKey.copy(payload, position);
    return payload;
  }

  private appendBlock(payload: Buffer, kind: BlockKind): void {
    const crc = blockCrc(payload, kind, this.fileOffset);
    this.append(payload);
    const trailer = this.trailer;
    trailer[0] = kind;
    trailer.writeUInt32BE(crc, 1);
    this.append(trailer);
  }

  /** Scratch for block trailers (append copies it). */
  private readonly trailer = Buffer.allocUnsafe(BLOCK_TRAILER_BYTES);

  /** Copies `bytes` into the output buffer (writing it out as it fills); `bytes` may be reused. */
  private append(bytes: Buffer): void {
    if (this.fileOffset + bytes.length > SSTABLE_BYTES_MAX) {
      throw new InvalidArgumentError(
        `SSTable ${this.path} would exceed ${SSTABLE_BYTES_MAX} bytes`,
      );
    }
    if (this.outputUsed + bytes.length > this.output.length) this.flushOutput();
    if (bytes.length > this.output.length) {
      writeFully(this.fd as number, bytes, this.fileOffset);
    } else {
      this.outputUsed += bytes.copy(this.output, this.outputUsed);
    }
    this.fileOffset += bytes.length;
  }

  private flushOutput(): void {
    const start = this.fileOffset - this.outputUsed;
    writeFully(this.fd as number, this.output.subarray(0, this.outputUsed), start);
    this.outputUsed = 0;
  }
}

function writeFully(fd: number, bytes: Buffer, position: number): void {
  for (let written = 0; written < bytes.length;) {
    written += fs.writeSync(fd, bytes, written, bytes.length - written, position + written);
  }
}
