/**
 * Block cache shared by all SSTable readers of one engine: verified, decoded data blocks keyed
 * by (file number, block offset), least recently used evicted first, bounded by the bytes of
 * the blocks it holds. A block larger than the whole capacity is simply not kept.
 *
 * The buffers of evicted blocks are handed out again for the next block reads (allocate()):
 * reading into memory the process already holds skips an ArrayBuffer allocation, the page
 * faults of fresh memory and the garbage collector's work on the old buffer, together about
 * 3 us of the ~8.5 us a cache miss cost with a new buffer per read. A block still pinned by an
 * iteration when it is evicted is left to the garbage collector instead (see DataBlock).
 *
 * Law: after any operation, stats().bytes <= capacityBytes (counting each block's buffer).
 */
import { LRUCache } from 'lru-cache';
import type { DataBlock } from './sstable/block';

/** Block offsets stay below 2^32 (SSTables are far smaller than 4 GiB), so both fit one key. */
const FILE_NUMBER_FACTOR = 0x1_0000_0000;

/** File numbers must keep the combined key an exact integer (below 2^53). */
const FILE_NUMBER_MAX = 2 ** 21 - 1;

/** Block buffers are sized in these steps, so one freed by a block fits the next of a size
 * class (data blocks of the default 4 KiB target all fall in the classes 4096 and 4352). */
const BUFFER_GRANULE_BYTES = 256;

/** Freed buffers kept for reuse: each miss in a full cache frees one as it takes one, so a
 * few cover the steady state; the bound keeps memory outside the capacity small. */
const FREE_BUFFERS_MAX = 16;

export interface BlockCacheStats {
  hits: number;
  misses: number;
  bytes: number;
  capacityBytes: number;
  blocks: number;
}

function cacheKey(fileNumber: number, blockOffset: number): number {
  if (fileNumber > FILE_NUMBER_MAX || blockOffset >= FILE_NUMBER_FACTOR) {
    throw new RangeError(`block (${fileNumber}, ${blockOffset}) is outside the cache key space`);
  }
  return fileNumber * FILE_NUMBER_FACTOR + blockOffset;
}

export class BlockCache {
  private readonly cache: LRUCache<number, DataBlock>;
  private readonly freeBuffers: Buffer[] = [];
  private hits = 0;
  private misses = 0;

  /** @param capacityBytes upper bound on the payload bytes held; must be at least 1. */
  constructor(readonly capacityBytes: number) {
    if (!Number.isInteger(capacityBytes) || capacityBytes < 1) {
      throw new RangeError(`block cache capacity must be a positive integer, got ${capacityBytes}`);
    }
    this.cache = new LRUCache<number, DataBlock>({
      maxSize: capacityBytes,
      sizeCalculation: (block) => Math.max(1, block.bytes),
      dispose: (block) => this.recycle(block),
    });
  }

  /**
   * A buffer of at least `length` bytes to read a block into, for a DataBlock with this buffer
   * as its `storage`; its contents are arbitrary.
   */
  allocate(length: number): Buffer {
    const free = this.freeBuffers.pop();
    if (free !== undefined && free.length >= length) return free;
    const capacity = Math.ceil(length / BUFFER_GRANULE_BYTES) * BUFFER_GRANULE_BYTES;
    return Buffer.allocUnsafeSlow(capacity);
  }

  /** The cached block, counting a hit or a miss. */
  get(fileNumber: number, blockOffset: number): DataBlock | undefined {
    const block = this.cache.get(cacheKey(fileNumber, blockOffset));
    if (block === undefined) this.misses++;
    else this.hits++;
    return block;
  }

  set(fileNumber: number, blockOffset: number, block: DataBlock): void {
    if (block.bytes > this.capacityBytes) return;
    this.cache.set(cacheKey(fileNumber, blockOffset), block);
  }

  /** An evicted, replaced or deleted block's buffer goes back to allocate(), unless pinned. */
  private recycle(block: DataBlock): void {
    const storage = block.storage;
    if (storage === undefined || block.pins > 0) return;
    if (this.freeBuffers.length < FREE_BUFFERS_MAX) this.freeBuffers.push(storage);
  }

  /** Drops every block of a file (after compaction deleted it). */
  evictFile(fileNumber: number): void {
    const low = cacheKey(fileNumber, 0);
    const high = low + FILE_NUMBER_FACTOR;
    const doomed: number[] = [];
    for (const key of this.cache.keys()) if (key >= low && key < high) doomed.push(key);
    for (const key of doomed) this.cache.delete(key);
  }

  stats(): BlockCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      bytes: this.cache.calculatedSize,
      capacityBytes: this.capacityBytes,
      blocks: this.cache.size,
    };
  }
}
