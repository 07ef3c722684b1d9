// The stored byte grammar of an idempotency record: round trips and every corruption named.
import { randomBytes } from 'node:crypto';
import { IdempotencyRecordCorruptError } from '../../src/idempotency';
import {
  RECORD_HEADER_BYTES,
  decodeRecord,
  encodeRecord,
  type IdempotencyRecord,
} from '../../src/idempotency/idempotency-record';

const done: IdempotencyRecord = {
  state: 'done',
  token: randomBytes(16),
  fingerprint: 'sha256:abc',
  response: Buffer.from([0, 1, 2, 255]),
};

describe('idempotency record grammar', () => {
  it('round-trips a done and an in-progress record', () => {
    expect(decodeRecord(encodeRecord(done), 'k')).toEqual(done);
    const inProgress = { ...done, state: 'in_progress' as const, response: Buffer.alloc(0) };
    expect(decodeRecord(encodeRecord(inProgress), 'k')).toEqual(inProgress);
  });

  it('puts version, state and token at the offsets the Lua scripts read', () => {
    const bytes = encodeRecord(done);
    expect(bytes[0]).toBe(1);
    expect(bytes[1]).toBe(2);
    expect(bytes.subarray(2, 18)).toEqual(done.token);
    expect(bytes.readUInt16BE(18)).toBe(done.fingerprint.length);
  });

  it.each([
    [
      'a header cut short',
      (bytes: Buffer) => bytes.subarray(0, RECORD_HEADER_BYTES - 1),
      /shorter/,
    ],
    [
      'an unknown version',
      (bytes: Buffer) => Buffer.concat([Buffer.from([9]), bytes.subarray(1)]),
      /version 9/,
    ],
    [
      'the reserved state 0',
      (bytes: Buffer) => Buffer.concat([bytes.subarray(0, 1), Buffer.from([0]), bytes.subarray(2)]),
      /state 0/,
    ],
    [
      'a fingerprint running past the end',
      (bytes: Buffer) => bytes.subarray(0, RECORD_HEADER_BYTES + 3),
      /runs past/,
    ],
  ])('reports %s as corrupt, naming the key', (_name, corrupt, message) => {
    const decoding = (): IdempotencyRecord => decodeRecord(corrupt(encodeRecord(done)), 'the-key');
    expect(decoding).toThrow(IdempotencyRecordCorruptError);
    expect(decoding).toThrow(message);
    expect(decoding).toThrow(/the-key/);
  });

  it('refuses an in-progress record that carries response bytes', () => {
    const bytes = encodeRecord(done);
    bytes[1] = 1;
    expect(() => decodeRecord(bytes, 'k')).toThrow(/in-progress record carries a response/);
  });
});
