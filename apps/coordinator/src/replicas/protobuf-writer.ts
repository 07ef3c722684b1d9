// Protobuf encoding into one buffer of the exact size, for the messages every write encodes to
// its replicas (the storage WriteRequest/DeleteRequest and the Exchange batches).
// The generated encoders grow a 128-byte array by doubling, slice it, and the gRPC serializer
// copies it once more into a Buffer: three or more allocations and copies per message, a visible
// share of the coordinator's CPU per write. Callers compute a message's size with the *Size
// functions, then write it; the output is byte for byte what the generated encoders produce
// (tests check that), so readers see no difference.

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
/** Largest int64 held exactly by a JS number: beyond it varints are computed on bigints. */
const SAFE_INTEGER_MAX = BigInt(Number.MAX_SAFE_INTEGER);
/** Bytes of a negative int32 or int64 varint: protobuf sign-extends them to 64 bits. */
const NEGATIVE_VARINT_BYTES = 10;

export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

function uint64Of(value: bigint): bigint {
  if (BigInt.asIntN(64, value) !== value) throw new RangeError(`${value} does not fit an int64`);
  return BigInt.asUintN(64, value);
}

export function int64Size(value: bigint): number {
  if (value >= 0n && value <= SAFE_INTEGER_MAX) return varintSize(Number(value));
  let rest = uint64Of(value);
  let size = 1;
  while (rest >= 0x80n) {
    rest >>= 7n;
    size++;
  }
  return size;
}

export function int32Size(value: number): number {
  return value < 0 ? NEGATIVE_VARINT_BYTES : varintSize(value);
}

/** Size of a tag plus length prefix plus `length` bytes (field numbers below 16: 1-byte tag). */
export function delimitedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/** Size of a non-empty string field (proto3 omits empty ones). */
export function stringFieldSize(text: string): number {
  return text === '' ? 0 : delimitedSize(Buffer.byteLength(text));
}

export class ProtobufWriter {
  private position = 0;
  readonly buffer: Buffer;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  /** The written bytes; throws if the size given did not match what was written (a bug). */
  finish(): Buffer {
    if (this.position !== this.buffer.length) {
      throw new Error(`encoded ${this.position} bytes into ${this.buffer.length}`);
    }
    return this.buffer;
  }

  varint(value: number): this {
    const buffer = this.buffer;
    while (value >= 0x80) {
      buffer[this.position++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buffer[this.position++] = value;
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint((field << 3) | wireType);
  }

  int64(value: bigint): this {
    if (value >= 0n && value <= SAFE_INTEGER_MAX) return this.varint(Number(value));
    let rest = uint64Of(value);
    while (rest >= 0x80n) {
      this.buffer[this.position++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.buffer[this.position++] = Number(rest);
    return this;
  }

  int32(value: number): this {
    return value < 0 ? this.int64(BigInt(value)) : this.varint(value);
  }

  /** A field header for a nested message or bytes of `length`. */
  delimited(field: number, length: number): this {
    return this.tag(field, WIRE_LENGTH_DELIMITED).varint(length);
  }

  bytes(field: number, bytes: Uint8Array): this {
    this.delimited(field, bytes.length);
    this.buffer.set(bytes, this.position);
    this.position += bytes.length;
    return this;
  }

  /** Writes a string field unless empty, as proto3 does. */
  string(field: number, text: string): this {
    if (text === '') return this;
    const length = Buffer.byteLength(text);
    this.delimited(field, length);
    this.position += this.buffer.write(text, this.position, length, 'utf8');
    return this;
  }

  varintField(field: number, value: number): this {
    return this.tag(field, WIRE_VARINT).varint(value);
  }

  int64Field(field: number, value: bigint): this {
    return this.tag(field, WIRE_VARINT).int64(value);
  }

  int32Field(field: number, value: number): this {
    return this.tag(field, WIRE_VARINT).int32(value);
  }

  boolField(field: number): this {
    return this.tag(field, WIRE_VARINT).varint(1);
  }
}
