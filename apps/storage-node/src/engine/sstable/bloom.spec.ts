import fc from 'fast-check';
import { BloomBuilder, BloomFilter, bloomHashCount, murmur3 } from './bloom';

describe('bloom filter', () => {
  it('hashes with reference MurmurHash3 x86_32, so stored filters stay readable', () => {
    // Published vectors of the reference implementation.
    const vectors: Array<[string, number, number]> = [
      ['', 0, 0],
      ['', 1, 0x514e28b7],
      ['hello', 0, 0x248bfa47],
      ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
    ];
    for (const [text, seed, expected] of vectors) {
      expect(murmur3(Buffer.from(text), seed)).toBe(expected);
    }
  });

  it('derives about 7 probes from 10 bits per key, within 1..30 for any budget', () => {
    expect(bloomHashCount(10)).toBe(7);
    expect(bloomHashCount(1)).toBe(1);
    expect(bloomHashCount(0.1)).toBe(1);
    expect(bloomHashCount(1000)).toBe(30);
  });

  it('has no false negatives for any key set and budget', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 20 }),
        (keys, bitsPerKey) => {
          const builder = new BloomBuilder(bitsPerKey, 4);
          for (const key of keys) builder.add(Buffer.from(key));
          const filter = new BloomFilter(builder.finish());
          for (const key of keys) expect(filter.mayContain(Buffer.from(key))).toBe(true);
        },
      ),
    );
  });

  it('an empty filter rejects every key', () => {
    const filter = new BloomFilter(new BloomBuilder(10).finish());
    for (let index = 0; index < 100; index++) {
      expect(filter.mayContain(Buffer.from(`key-${index}`))).toBe(false);
    }
  });

  it('refuses a stored probe count no writer produces', () => {
    const payload = new BloomBuilder(10).finish();
    payload[0] = 0;
    expect(() => new BloomFilter(payload)).toThrow(RangeError);
    payload[0] = 31;
    expect(() => new BloomFilter(payload)).toThrow(RangeError);
  });
});
