/**
 * Keys, values and random choices shared by both engines, so each sees exactly the same writes
 * and reads in the same order.
 *
 * - key(i) is the 16 ASCII digits of 2i, zero-padded: present keys are even numbers, and a
 *   missing key (2i + 1) falls between two present ones, so only bloom filters (not key ranges)
 *   spare a block read;
 * - value(i) is 100 bytes cut from a seeded random pool at an offset derived from i: unique per
 *   key, deterministic (reads check it) and incompressible (LevelDB's snappy gains nothing);
 * - every random sequence comes from a seeded generator, so runs are repeatable.
 */
export const KEY_BYTES = 16;
export const VALUE_BYTES = 100;
/** Bytes the values are cut from: far more distinct offsets than a 100-byte window needs. */
const VALUE_POOL_BYTES = 1024 * 1024;
/** Offsets step by a prime so neighbouring keys get unrelated windows of the pool. */
const VALUE_OFFSET_STEP = 7919;
/** Keys are decimal numbers of KEY_BYTES digits; 2i + 1 must still fit. */
export const ENTRIES_MAX = Math.floor((10 ** KEY_BYTES - 2) / 2);

/** A golden-ratio counter mixed by MurmurHash3's 32-bit finalizer: fast, and random enough to
 * pick benchmark keys. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform integer in [0, bound) for bound <= 2^32 (bias below 2^-20 for our bounds). */
  below(bound: number): number {
    return Math.floor((this.nextUint32() / 0x1_0000_0000) * bound);
  }
}

/** Indexes 0..count-1 in a seeded random order (Fisher-Yates). */
export function shuffledIndexes(count: number, seed: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const random = new SeededRandom(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = random.below(i + 1);
    const held = order[i]!;
    order[i] = order[j]!;
    order[j] = held;
  }
  return order;
}

export class DataGenerator {
  private readonly pool: Buffer;

  constructor(seed: number) {
    this.pool = Buffer.allocUnsafe(VALUE_POOL_BYTES);
    const random = new SeededRandom(seed);
    for (let offset = 0; offset < VALUE_POOL_BYTES; offset += 4) {
      this.pool.writeUInt32LE(random.nextUint32(), offset);
    }
  }

  /** The key of entry `index` (a fresh buffer, as a caller would pass). */
  key(index: number): Buffer {
    return digits(2 * index);
  }

  /** A key between key(index) and key(index + 1) that is never written. */
  missingKey(index: number): Buffer {
    return digits(2 * index + 1);
  }

  /** The value of entry `index` (a fresh buffer, not a view into the pool). */
  value(index: number): Buffer {
    const offset = (index * VALUE_OFFSET_STEP) % (VALUE_POOL_BYTES - VALUE_BYTES);
    return Buffer.from(this.pool.subarray(offset, offset + VALUE_BYTES));
  }
}

function digits(value: number): Buffer {
  return Buffer.from(String(value).padStart(KEY_BYTES, '0'), 'latin1');
}
