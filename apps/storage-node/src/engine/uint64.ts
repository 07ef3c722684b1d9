// Unsigned 64-bit little-endian integers as stored on disk (sequence numbers, file numbers,
// byte counts). In memory they are JavaScript numbers, so every value must be a safe integer
// (< 2^53); a stored value above that can only come from corruption, and decoding reports it.

const TWO_TO_32 = 0x1_0000_0000;

/** Writes `value` (a non-negative safe integer) at `offset`; returns the offset after it. */
export function writeUint64(target: Buffer, value: number, offset: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`not a non-negative safe integer: ${value}`);
  }
  target.writeUInt32LE(value % TWO_TO_32, offset);
  target.writeUInt32LE(Math.floor(value / TWO_TO_32), offset + 4);
  return offset + 8;
}

/** Reads a value written by writeUint64; undefined when it exceeds 2^53 - 1 (corrupt bytes). */
export function readUint64(source: Buffer, offset: number): number | undefined {
  const low = source.readUInt32LE(offset);
  const high = source.readUInt32LE(offset + 4);
  const value = high * TWO_TO_32 + low;
  return Number.isSafeInteger(value) ? value : undefined;
}
