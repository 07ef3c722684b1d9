/**
 * Unsigned LEB128 varints for lengths inside SSTable blocks: 7 bits per byte, low group first,
 * high bit set on every byte but the last. Values are limited to 32 bits (at most 5 bytes).
 */

/** Bytes a 32-bit varint can take at most. */
export const VARINT_BYTES_MAX = 5;

/** Bytes needed to encode `value`. */
export function varintLength(value: number): number {
  let length = 1;
  let rest = value;
  while (rest >= 0x80) {
    rest = Math.floor(rest / 128);
    length++;
  }
  return length;
}

/** Writes `value` at `offset` and returns the offset just after it. */
export function writeVarint(target: Buffer, offset: number, value: number): number {
  let position = offset;
  let rest = value;
  while (rest >= 0x80) {
    target[position++] = (rest & 0x7f) | 0x80;
    rest = Math.floor(rest / 128);
  }
  target[position++] = rest;
  return position;
}
