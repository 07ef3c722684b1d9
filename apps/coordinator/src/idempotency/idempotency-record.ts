// The byte grammar of one idempotency record as stored in Redis (version 1). The Lua scripts
// of redis-idempotency-store.ts read the state and token at these offsets; change them only
// with a new version byte and a decoder for the old one.
//
//   offset  size  field
//   0       1     format version: RECORD_VERSION (1)
//   1       1     state: 1 = in progress, 2 = done (0 reserved; never reuse a retired value)
//   2       16    claim token: random bytes of the claim that wrote the record
//   18      2     fingerprint length n, uint16 big-endian
//   20      n     fingerprint, UTF-8
//   20 + n  rest  response bytes (empty while in progress)
import { IdempotencyRecordCorruptError } from './idempotency-errors';

export const RECORD_VERSION = 1;
/** DO NOT CHANGE THESE VALUES: they are stored. */
export const RECORD_STATE_IN_PROGRESS = 1;
export const RECORD_STATE_DONE = 2;
export const CLAIM_TOKEN_BYTES = 16;
export const RECORD_HEADER_BYTES = 20;
/** The fingerprint's length field is 16 bits. */
export const FINGERPRINT_BYTES_MAX = 0xffff;

const TOKEN_OFFSET = 2;
const FINGERPRINT_LENGTH_OFFSET = 18;

export interface IdempotencyRecord {
  state: 'in_progress' | 'done';
  /** CLAIM_TOKEN_BYTES bytes. */
  token: Buffer;
  fingerprint: string;
  response: Buffer;
}

export function encodeRecord(record: IdempotencyRecord): Buffer {
  if (record.token.length !== CLAIM_TOKEN_BYTES) {
    throw new Error(`claim token must be ${CLAIM_TOKEN_BYTES} bytes, got ${record.token.length}`);
  }
  const fingerprint = Buffer.from(record.fingerprint, 'utf8');
  if (fingerprint.length > FINGERPRINT_BYTES_MAX) {
    throw new RangeError(
      `fingerprint of ${fingerprint.length} bytes exceeds ${FINGERPRINT_BYTES_MAX}`,
    );
  }
  const header = Buffer.alloc(RECORD_HEADER_BYTES);
  header[0] = RECORD_VERSION;
  header[1] = record.state === 'done' ? RECORD_STATE_DONE : RECORD_STATE_IN_PROGRESS;
  record.token.copy(header, TOKEN_OFFSET);
  header.writeUInt16BE(fingerprint.length, FINGERPRINT_LENGTH_OFFSET);
  return Buffer.concat([header, fingerprint, record.response]);
}

/** Decodes a stored record; `storageKey` only names it in errors. */
export function decodeRecord(bytes: Buffer, storageKey: string): IdempotencyRecord {
  if (bytes.length < RECORD_HEADER_BYTES) {
    throw new IdempotencyRecordCorruptError(
      storageKey,
      `${bytes.length} bytes, shorter than the ${RECORD_HEADER_BYTES}-byte header`,
    );
  }
  if (bytes[0] !== RECORD_VERSION) {
    throw new IdempotencyRecordCorruptError(storageKey, `unknown format version ${bytes[0]}`);
  }
  const stateByte = bytes[1];
  if (stateByte !== RECORD_STATE_IN_PROGRESS && stateByte !== RECORD_STATE_DONE) {
    throw new IdempotencyRecordCorruptError(storageKey, `unknown state ${stateByte}`);
  }
  const fingerprintLength = bytes.readUInt16BE(FINGERPRINT_LENGTH_OFFSET);
  const fingerprintEnd = RECORD_HEADER_BYTES + fingerprintLength;
  if (fingerprintEnd > bytes.length) {
    throw new IdempotencyRecordCorruptError(
      storageKey,
      `fingerprint of ${fingerprintLength} bytes runs past the record's ${bytes.length} bytes`,
    );
  }
  const state = stateByte === RECORD_STATE_DONE ? 'done' : 'in_progress';
  if (state === 'in_progress' && fingerprintEnd !== bytes.length) {
    throw new IdempotencyRecordCorruptError(storageKey, 'an in-progress record carries a response');
  }
  return {
    state,
    token: Buffer.from(bytes.subarray(TOKEN_OFFSET, TOKEN_OFFSET + CLAIM_TOKEN_BYTES)),
    fingerprint: bytes.toString('utf8', RECORD_HEADER_BYTES, fingerprintEnd),
    response: Buffer.from(bytes.subarray(fingerprintEnd)),
  };
}
