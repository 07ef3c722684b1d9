import { BlockCache } from './block-cache';
import { EntryKind } from './entry';
import { BlockBuilder, DataBlock } from './sstable/block';

/** A real data block whose payload is about `bytes` long. */
function blockOf(bytes: number): DataBlock {
  const builder = new BlockBuilder(bytes);
  builder.add({ key: Buffer.from('k'), seq: 1, kind: EntryKind.Put, value: Buffer.alloc(bytes) });
  return new DataBlock(builder.finish());
}

describe('BlockCache', () => {
  it('counts a miss for an absent block and a hit once it is cached', () => {
    const cache = new BlockCache(10_000);
    expect(cache.get(1, 0)).toBeUndefined();
    const block = blockOf(100);
    cache.set(1, 0, block);
    expect(cache.get(1, 0)).toBe(block);
    expect(cache.get(1, 4096)).toBeUndefined();
    expect(cache.get(2, 0)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 3, bytes: block.bytes, blocks: 1 });
  });

  it('never holds more bytes than its capacity and evicts the least recently used block', () => {
    const block = blockOf(1000);
    const capacity = block.bytes * 3 + 10;
    const cache = new BlockCache(capacity);
    for (let offset = 0; offset < 3; offset++) cache.set(1, offset, blockOf(1000));
    expect(cache.get(1, 0)).toBeDefined();
    cache.set(1, 3, blockOf(1000));
    expect(cache.stats().bytes).toBeLessThanOrEqual(capacity);
    expect(cache.stats().blocks).toBe(3);
    expect(cache.get(1, 1)).toBeUndefined();
    expect(cache.get(1, 0)).toBeDefined();
    for (let offset = 10; offset < 200; offset++) {
      cache.set(offset % 5, offset, blockOf(offset * 7));
      expect(cache.stats().bytes).toBeLessThanOrEqual(capacity);
    }
  });

  it('a block larger than the whole capacity is not kept and evicts nothing', () => {
    const cache = new BlockCache(500);
    const small = blockOf(100);
    cache.set(1, 0, small);
    cache.set(1, 1, blockOf(1000));
    expect(cache.get(1, 1)).toBeUndefined();
    expect(cache.get(1, 0)).toBe(small);
  });

  it('evictFile drops only the blocks of that file, including its highest offsets', () => {
    const cache = new BlockCache(1 << 20);
    const kept = blockOf(10);
    cache.set(4, 0, blockOf(10));
    cache.set(4, 0xffff_fff0, blockOf(10));
    cache.set(3, 0xffff_fff0, kept);
    cache.set(5, 0, kept);
    cache.evictFile(4);
    expect(cache.get(4, 0)).toBeUndefined();
    expect(cache.get(4, 0xffff_fff0)).toBeUndefined();
    expect(cache.get(3, 0xffff_fff0)).toBe(kept);
    expect(cache.get(5, 0)).toBe(kept);
    expect(cache.stats().blocks).toBe(2);
  });

  it("hands an evicted block's buffer to the next allocate() of a block that fits it", () => {
    const cache = new BlockCache(10_000);
    const storage = cache.allocate(4101);
    expect(storage.length).toBe(4352);
    const block = new DataBlock(blockOf(100).payload, storage);
    cache.set(1, 0, block);
    expect(cache.stats().bytes).toBe(4352);
    cache.set(1, 1, new DataBlock(blockOf(100).payload, cache.allocate(4101)));
    cache.set(1, 2, new DataBlock(blockOf(100).payload, cache.allocate(4101)));
    expect(cache.get(1, 0)).toBeUndefined();
    expect(cache.allocate(4000)).toBe(storage);
    expect(cache.allocate(4000)).not.toBe(storage);
  });

  it('does not recycle the buffer of a block evicted while an iteration pins it', () => {
    const cache = new BlockCache(10_000);
    const storage = cache.allocate(4000);
    const block = new DataBlock(blockOf(100).payload, storage);
    cache.set(1, 0, block);
    block.pins++;
    cache.evictFile(1);
    block.pins--;
    expect(cache.allocate(4000)).not.toBe(storage);
  });

  it('a buffer too small for the next block is dropped, not handed out', () => {
    const cache = new BlockCache(10_000);
    const small = cache.allocate(100);
    cache.set(1, 0, new DataBlock(blockOf(50).payload, small));
    cache.evictFile(1);
    const large = cache.allocate(4000);
    expect(large).not.toBe(small);
    expect(large.length).toBeGreaterThanOrEqual(4000);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new BlockCache(0)).toThrow(RangeError);
    expect(() => new BlockCache(1.5)).toThrow(RangeError);
  });
});
