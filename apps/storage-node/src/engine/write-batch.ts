/**
 * Write batch: the payload of one commit-log record (see commit-log.ts for the framing). A batch
 * is applied atomically: recovery replays a record whole or not at all.
 *
 * Byte grammar (integers little-endian):
 *
 *   batch     = firstSeq:u64 count:u32 operation{count}
 *   operation = kind:u8 keyLength:u32 key:byte{keyLength} valueLength:u32 value:byte{valueLength}
 *
 * - operation i has sequence number firstSeq + i;
 * - kind is an EntryKind (1 Put, 2 Delete; 0 reserved); for Delete the value is the 8-byte
 *   big-endian unix time in ms of the delete (the tombstone time used by the grace period);
 * - the whole batch must be consumed exactly: trailing bytes are corruption.
 */
import { Entry, EntryKind } from './entry';
import { CorruptionError } from './errors';
import { readUint64, writeUint64 } from './uint64';

const BATCH_HEADER_BYTES = 12;
const OPERATION_FIXED_BYTES = 9;

export interface BatchOperation {
  kind: EntryKind;
  key: Buffer;
  value: Buffer;
}

/** Encoded size of a batch payload, without any framing. */
export function writeBatchBytes(operations: readonly BatchOperation[]): number {
  let bytes = BATCH_HEADER_BYTES;
  for (const operation of operations) {
    bytes += OPERATION_FIXED_BYTES + operation.key.length + operation.value.length;
  }
  return bytes;
}

/**
 * Encodes a batch into a fresh buffer, leaving `reservedBytes` zero bytes in front of it for
 * the caller's framing (so the record is one allocation and one copy of each key and value).
 * Also returns the batch's entries, whose keys and values are views into that buffer.
 */
export function encodeWriteBatch(
  firstSeq: number,
  operations: readonly BatchOperation[],
  reservedBytes: number,
): { bytes: Buffer; entries: Entry[] } {
  const target = Buffer.allocUnsafe(reservedBytes + writeBatchBytes(operations));
  target.fill(0, 0, reservedBytes);
  let offset = writeUint64(target, firstSeq, reservedBytes);
  offset = target.writeUInt32LE(operations.length, offset);
  const entries: Entry[] = [];
  operations.forEach((operation, index) => {
    offset = target.writeUInt8(operation.kind, offset);
    offset = target.writeUInt32LE(operation.key.length, offset);
    const key = target.subarray(offset, offset + operation.key.length);
    offset += operation.key.copy(target, offset);
    offset = target.writeUInt32LE(operation.value.length, offset);
    const value = target.subarray(offset, offset + operation.value.length);
    offset += operation.value.copy(target, offset);
    entries.push({ key, seq: firstSeq + index, kind: operation.kind, value });
  });
  return { bytes: target, entries };
}

/**
 * Decodes a batch payload. Keys and values of the returned entries are views into `payload`.
 * `file` and `offset` (of the payload within the file) locate errors.
 */
export function decodeWriteBatch(payload: Buffer, file: string, offset: number): Entry[] {
  const fail = (what: string, at: number): never => {
    throw new CorruptionError(`write batch: ${what}`, file, offset + at);
  };
  if (payload.length < BATCH_HEADER_BYTES) fail('shorter than its header', 0);
  const firstSeq = readUint64(payload, 0) ?? fail('sequence number beyond 2^53', 0);
  const count = payload.readUInt32LE(8);
  const entries: Entry[] = [];
  let at = BATCH_HEADER_BYTES;
  for (let index = 0; index < count; index++) {
    if (payload.length - at < OPERATION_FIXED_BYTES) fail('operation header truncated', at);
    const kind = payload.readUInt8(at);
    if (kind !== EntryKind.Put && kind !== EntryKind.Delete) fail(`unknown kind ${kind}`, at);
    const keyLength = payload.readUInt32LE(at + 1);
    const keyStart = at + 5;
    if (payload.length - keyStart < keyLength + 4) fail('key truncated', at);
    const valueLength = payload.readUInt32LE(keyStart + keyLength);
    const valueStart = keyStart + keyLength + 4;
    if (payload.length - valueStart < valueLength) fail('value truncated', at);
    entries.push({
      key: payload.subarray(keyStart, keyStart + keyLength),
      seq: firstSeq + index,
      kind,
      value: payload.subarray(valueStart, valueStart + valueLength),
    });
    at = valueStart + valueLength;
  }
  if (at !== payload.length) fail(`${payload.length - at} trailing bytes`, at);
  if (!Number.isSafeInteger(firstSeq + count)) fail('sequence numbers beyond 2^53', 0);
  return entries;
}
