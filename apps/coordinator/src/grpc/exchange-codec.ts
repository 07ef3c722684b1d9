// Encoding of pairdb.storage.v1.ExchangeRequest from operations encoded ahead of time: each item
// is a small header (id, timeout) around operation bytes shared by every replica, so a write to
// three replicas is protobuf-encoded once. The bytes are exactly what the generated encoder
// would produce for the same items (a test checks this).
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import type { PreparedOperation, ReplicaOperationKind } from '../replicas/replica-transport';

/** Field numbers of ExchangeItem's operation oneof (storage.proto). */
const OPERATION_FIELD: Record<ReplicaOperationKind, number> = {
  write: 3,
  read: 4,
  delete: 5,
  repair: 6,
};
const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const ITEMS_FIELD = 1;
const ID_FIELD = 1;
const TIMEOUT_FIELD = 2;

export interface OutgoingItem {
  readonly id: number;
  readonly timeoutMs: number;
  readonly operation: PreparedOperation;
}

function tag(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

export function encodeExchangeRequest(items: readonly OutgoingItem[]): Buffer {
  const writer = new BinaryWriter();
  for (const item of items) {
    writer.uint32(tag(ITEMS_FIELD, WIRE_LENGTH_DELIMITED)).fork();
    if (item.id !== 0) writer.uint32(tag(ID_FIELD, WIRE_VARINT)).uint32(item.id);
    if (item.timeoutMs !== 0) writer.uint32(tag(TIMEOUT_FIELD, WIRE_VARINT)).uint32(item.timeoutMs);
    writer
      .uint32(tag(OPERATION_FIELD[item.operation.kind], WIRE_LENGTH_DELIMITED))
      .bytes(item.operation.bytes);
    writer.join();
  }
  const bytes = writer.finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
