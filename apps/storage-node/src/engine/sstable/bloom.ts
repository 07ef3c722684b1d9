/**
 * Bloom filter over the distinct user keys of one SSTable (grammar `bloomPayload` in writer.ts).
 *
 * Double hashing (Kirsch and Mitzenmacher): one 32-bit murmur3 hash h of the key and a delta
 * derived from it by rotation give the k probe positions h, h + delta, h + 2 delta, ... modulo
 * the bit count. With b bits per key the best k is b ln 2 (7 for 10 bits/key), which gives about
 * 0.8% false positives in theory.
 *
 * Law: a key added to the builder always passes mayContain (no false negatives).
 */

/** Probes per key cap: more costs time on every lookup for no measurable gain. */
export const BLOOM_HASH_COUNT_MAX = 30;

/** Smallest filter: tiny tables would otherwise get a filter of almost all ones. */
const BLOOM_BITS_MIN = 64;

/** Seed of the key hash; stored implicitly by the format version, so never change it. */
const BLOOM_HASH_SEED = 0xbc9f1d34;

/** Probe count for a bits-per-key budget: round(b ln 2), within [1, BLOOM_HASH_COUNT_MAX]. */
export function bloomHashCount(bitsPerKey: number): number {
  return Math.min(BLOOM_HASH_COUNT_MAX, Math.max(1, Math.round(bitsPerKey * Math.LN2)));
}

/** The key hash the filter probes with. */
export function bloomHash(key: Buffer): number {
  return murmur3(key, BLOOM_HASH_SEED);
}

/** MurmurHash3 x86 32-bit of `key` (Austin Appleby's reference algorithm). */
export function murmur3(key: Buffer, seed: number): number {
  const length = key.length;
  const blockEnd = length & ~3;
  let hash = seed | 0;
  for (let index = 0; index < blockEnd; index += 4) {
    let word = key[index] | (key[index + 1] << 8) | (key[index + 2] << 16) | (key[index + 3] << 24);
    word = Math.imul(word, 0xcc9e2d51);
    word = (word << 15) | (word >>> 17);
    hash ^= Math.imul(word, 0x1b873593);
    hash = (hash << 13) | (hash >>> 19);
    hash = (Math.imul(hash, 5) + 0xe6546b64) | 0;
  }
  const tailLength = length & 3;
  if (tailLength > 0) {
    let tail = key[blockEnd];
    if (tailLength > 1) tail ^= key[blockEnd + 1] << 8;
    if (tailLength > 2) tail ^= key[blockEnd + 2] << 16;
    tail = Math.imul(tail, 0xcc9e2d51);
    tail = (tail << 15) | (tail >>> 17);
    hash ^= Math.imul(tail, 0x1b873593);
  }
  hash ^= length;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** Collects key hashes while a table is written; `finish()` lays out the filter. */
export class BloomBuilder {
  private hashes: Uint32Array;
  private count = 0;

  constructor(
    private readonly bitsPerKey: number,
    expectedKeys = 1024,
  ) {
    this.hashes = new Uint32Array(Math.max(16, expectedKeys));
  }

  get keyCount(): number {
    return this.count;
  }

  add(key: Buffer): void {
    if (this.count === this.hashes.length) {
      const grown = new Uint32Array(this.hashes.length * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[this.count++] = bloomHash(key);
  }

  /** The bloom payload: hashCount:u8 then the bit array. */
  finish(): Buffer {
    const hashCount = bloomHashCount(this.bitsPerKey);
    const bitCount = Math.max(BLOOM_BITS_MIN, Math.ceil(this.count * this.bitsPerKey));
    const byteCount = Math.ceil(bitCount / 8);
    const payload = Buffer.alloc(1 + byteCount);
    payload[0] = hashCount;
    const bits = payload.subarray(1);
    const totalBits = byteCount * 8;
    for (let index = 0; index < this.count; index++) {
      setProbes(bits, totalBits, hashCount, this.hashes[index]);
    }
    return payload;
  }
}

function setProbes(bits: Buffer, totalBits: number, hashCount: number, keyHash: number): void {
  let hash = keyHash;
  const delta = ((hash >>> 17) | (hash << 15)) >>> 0;
  for (let probe = 0; probe < hashCount; probe++) {
    const bit = hash % totalBits;
    bits[bit >>> 3] |= 1 << (bit & 7);
    hash = (hash + delta) >>> 0;
  }
}

/** A loaded filter. The payload must have passed its CRC check. */
export class BloomFilter {
  readonly hashCount: number;
  private readonly bits: Buffer;
  private readonly totalBits: number;

  /** Throws RangeError on a payload no writer produces; the reader reports it as corruption. */
  constructor(payload: Buffer) {
    if (payload.length < 2) throw new RangeError('bloom payload is too short');
    this.hashCount = payload[0];
    if (this.hashCount < 1 || this.hashCount > BLOOM_HASH_COUNT_MAX) {
      throw new RangeError(`bloom hash count ${this.hashCount} is out of range`);
    }
    this.bits = payload.subarray(1);
    this.totalBits = this.bits.length * 8;
  }

  /** False means the key is certainly absent; true means it may be present. */
  mayContain(key: Buffer): boolean {
    let hash = bloomHash(key);
    const delta = ((hash >>> 17) | (hash << 15)) >>> 0;
    for (let probe = 0; probe < this.hashCount; probe++) {
      const bit = hash % this.totalBits;
      if ((this.bits[bit >>> 3] & (1 << (bit & 7))) === 0) return false;
      hash = (hash + delta) >>> 0;
    }
    return true;
  }
}
