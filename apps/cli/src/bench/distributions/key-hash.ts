// 64-bit FNV-1a over the eight little-endian bytes of a key number. YCSB names records
// "user" + hash(keynum) so that inserts do not arrive in key order, and scrambles zipfian
// draws with the same hash so the popular keys are spread over the key space.
const FNV_OFFSET_BASIS = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = (1n << 64n) - 1n;

export function fnvHash64(value: number): bigint {
  let hash = FNV_OFFSET_BASIS;
  let rest = BigInt(value);
  for (let i = 0; i < 8; i++) {
    hash ^= rest & 0xffn;
    hash = (hash * FNV_PRIME) & MASK_64;
    rest >>= 8n;
  }
  return hash;
}
