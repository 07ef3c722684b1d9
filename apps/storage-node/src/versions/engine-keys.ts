// How the node lays out its engine keyspace. The first byte names the keyspace; these values
// are stored on disk: DO NOT CHANGE THEM, and never reuse a retired one. 0 is reserved.
//
//   data key  = 0x01 | token (8 bytes, big-endian) | tenant length (1 byte) | tenant | key
//   hint key  = 0x02 | target node length (1 byte) | target node id | <data key without 0x01>
//   receipt   = 0x03 | <data key without 0x01>  ->  8-byte big-endian unix ms
//
// A receipt key exists exactly while its data key holds a DVVSet of tombstones only: the value
// is when this node stored that set, by its own clock (docs/architecture.md#tombstone-purge).
//
// Data keys sort by ring token first, so a token range is one contiguous engine range (range
// scans and digests for migration and anti-entropy read it in one pass). The tenant id inside
// the key, length-prefixed, keeps tenants apart: two tenants never share an engine key, and a
// key is only ever read back for the tenant that wrote it. Hint keys group by target node, so
// delivery to one node is one range scan.
import { keyToken, type Token } from '@pairdb/hashring';

export const KEYSPACE_DATA = 0x01;
export const KEYSPACE_HINTS = 0x02;
export const KEYSPACE_TOMBSTONE_RECEIPTS = 0x03;

/**
 * What the tenant length byte can express. Tenant ids that pass the tenant id rule
 * (validateTenantId in @pairdb/wire-contract: at most 128 ASCII characters) always fit.
 */
export const TENANT_ID_BYTES_MAX = 255;
/** Node ids in hint keys: one length byte. */
export const NODE_ID_BYTES_MAX = 255;

const TOKEN_BYTES = 8;

export interface DataKey {
  readonly tenantId: string;
  readonly key: string;
  readonly token: Token;
}

export function encodeDataKey(
  tenantId: string,
  key: string,
  token = keyToken(tenantId, key),
): Buffer {
  const tenant = Buffer.from(tenantId, 'utf8');
  // Callers validate tenant ids first; a longer one here is a bug, and would corrupt the key.
  if (tenant.length > TENANT_ID_BYTES_MAX) {
    throw new RangeError(`tenant id of ${tenant.length} bytes does not fit a data key`);
  }
  const keyBytes = Buffer.from(key, 'utf8');
  const out = Buffer.allocUnsafe(1 + TOKEN_BYTES + 1 + tenant.length + keyBytes.length);
  out[0] = KEYSPACE_DATA;
  out.writeBigUInt64BE(token, 1);
  out[1 + TOKEN_BYTES] = tenant.length;
  tenant.copy(out, 2 + TOKEN_BYTES);
  keyBytes.copy(out, 2 + TOKEN_BYTES + tenant.length);
  return out;
}

/** Decodes a data key (the part after any hint prefix); throws on a malformed key. */
export function decodeDataKey(bytes: Buffer, offset = 0): DataKey {
  if (bytes[offset] !== KEYSPACE_DATA || bytes.length < offset + 2 + TOKEN_BYTES) {
    throw new Error(`not a data key: ${bytes.toString('hex')}`);
  }
  const token = bytes.readBigUInt64BE(offset + 1);
  const tenantLength = bytes[offset + 1 + TOKEN_BYTES]!;
  const tenantStart = offset + 2 + TOKEN_BYTES;
  if (tenantStart + tenantLength > bytes.length) {
    throw new Error(`data key tenant length ${tenantLength} runs past the key`);
  }
  return {
    token,
    tenantId: bytes.toString('utf8', tenantStart, tenantStart + tenantLength),
    key: bytes.toString('utf8', tenantStart + tenantLength),
  };
}

/** The first data key at or after `token` (any tenant). */
export function dataKeyFloor(token: Token): Buffer {
  const out = Buffer.alloc(1 + TOKEN_BYTES);
  out[0] = KEYSPACE_DATA;
  out.writeBigUInt64BE(token, 1);
  return out;
}

/** Lower bound (inclusive) past every data key: the end of the data keyspace. */
export const DATA_KEYSPACE_END = Buffer.from([KEYSPACE_DATA + 1]);

/** The receipt key of a data key: the same bytes under the receipts keyspace. */
export function receiptKeyOf(dataKey: Buffer): Buffer {
  const out = Buffer.from(dataKey);
  out[0] = KEYSPACE_TOMBSTONE_RECEIPTS;
  return out;
}

/** The data key a receipt key stands for. */
export function dataKeyOfReceipt(receiptKey: Buffer): Buffer {
  const out = Buffer.from(receiptKey);
  out[0] = KEYSPACE_DATA;
  return out;
}

/** A receipt value: the unix ms a node stored a set of tombstones at, 8 bytes big-endian. */
export function encodeReceipt(receivedAtMs: number): Buffer {
  const value = Buffer.alloc(8);
  value.writeBigUInt64BE(BigInt(receivedAtMs));
  return value;
}

/** The time in a receipt value; undefined for a value that is not one. */
export function decodeReceipt(value: Buffer): number | undefined {
  return value.length === 8 ? Number(value.readBigUInt64BE(0)) : undefined;
}

export const RECEIPT_KEYSPACE_START = Buffer.from([KEYSPACE_TOMBSTONE_RECEIPTS]);
export const RECEIPT_KEYSPACE_END = Buffer.from([KEYSPACE_TOMBSTONE_RECEIPTS + 1]);

export function hintKeyPrefix(targetNodeId: string): Buffer {
  const node = Buffer.from(targetNodeId, 'utf8');
  return Buffer.concat([Buffer.from([KEYSPACE_HINTS, node.length]), node]);
}

export function encodeHintKey(targetNodeId: string, dataKey: Buffer): Buffer {
  return Buffer.concat([hintKeyPrefix(targetNodeId), dataKey]);
}

export function decodeHintKey(bytes: Buffer): { targetNodeId: string; dataKey: Buffer } {
  if (bytes[0] !== KEYSPACE_HINTS || bytes.length < 2) {
    throw new Error(`not a hint key: ${bytes.toString('hex')}`);
  }
  const nodeLength = bytes[1]!;
  return {
    targetNodeId: bytes.toString('utf8', 2, 2 + nodeLength),
    dataKey: bytes.subarray(2 + nodeLength),
  };
}

/** The exclusive upper bound of every key starting with `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  throw new Error('prefix of 0xff bytes has no upper bound');
}
