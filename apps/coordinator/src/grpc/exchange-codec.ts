// Encoding of pairdb.storage.v1.ExchangeRequest from operations encoded ahead of time: each item
// is a small header (id, timeout) around operation bytes shared by every replica, so a write to
// three replicas is protobuf-encoded once. The bytes are exactly what the generated encoder
// would produce for the same items (a test checks this).
import type { PreparedOperation, ReplicaOperationKind } from '../replicas/replica-transport';
import { delimitedSize, ProtobufWriter, varintSize } from '../replicas/protobuf-writer';

/** Field numbers of ExchangeItem's operation oneof (storage.proto). */
const OPERATION_FIELD: Record<ReplicaOperationKind, number> = {
  write: 3,
  read: 4,
  delete: 5,
  repair: 6,
};
const ITEMS_FIELD = 1;
const ID_FIELD = 1;
const TIMEOUT_FIELD = 2;

export interface OutgoingItem {
  readonly id: number;
  readonly timeoutMs: number;
  readonly operation: PreparedOperation;
}

function itemSize(item: OutgoingItem): number {
  return (
    (item.id !== 0 ? 1 + varintSize(item.id) : 0) +
    (item.timeoutMs !== 0 ? 1 + varintSize(item.timeoutMs) : 0) +
    delimitedSize(item.operation.bytes.length)
  );
}

/** One batch, in one buffer of the exact size. */
export function encodeExchangeRequest(items: readonly OutgoingItem[]): Buffer {
  let size = 0;
  for (const item of items) size += delimitedSize(itemSize(item));
  const writer = new ProtobufWriter(size);
  for (const item of items) {
    writer.delimited(ITEMS_FIELD, itemSize(item));
    if (item.id !== 0) writer.varintField(ID_FIELD, item.id);
    if (item.timeoutMs !== 0) writer.varintField(TIMEOUT_FIELD, item.timeoutMs);
    writer.bytes(OPERATION_FIELD[item.operation.kind], item.operation.bytes);
  }
  return writer.finish();
}
