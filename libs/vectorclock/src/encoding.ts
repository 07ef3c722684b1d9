// Binary encoding of a version set, as stored by the storage engine beside each value.
//
// Byte grammar, format version 1:
//
//   version-set  = format-version actor-table context siblings   ; nothing after it
//   format-version = u8                  ; 0 reserved (never written), 1 current
//   actor-table  = count:uvarint actor*  ; strictly increasing (UTF-16 order), each one used below
//   actor        = length:uvarint utf8   ; 1..ACTOR_BYTES_MAX bytes of valid UTF-8
//   context      = count:uvarint entry*  ; actor indices strictly increasing
//   entry        = actor-index:uvarint counter:uvarint
//   siblings     = count:uvarint sibling*  ; dots strictly increasing in LWW order (dot.ts)
//   sibling      = actor-index:uvarint counter:uvarint kind:u8 [length:uvarint bytes]
//   kind         = 1 value (length and bytes follow) | 2 tombstone (nothing follows)
//   uvarint      = unsigned LEB128: 7 bits per byte, low group first, high bit set on all but
//                  the last byte; minimal (no trailing zero group)
//
// Counters are 1..2^63-1 (at most 9 varint bytes); actor indices point into the actor table.
// The grammar admits exactly one encoding per set, so equal sets encode to equal bytes and a
// successful decode re-encodes to the same bytes. Actors are interned because a context and its
// sibling dots repeat the same few coordinator ids.
//
// DO NOT CHANGE the numbers below: they are on disk. Retire a number with a comment, never
// reuse it; a new layout gets a new format version and this file keeps a decoder for each older
// one.

import {
  ACTOR_BYTES_MAX,
  COUNTER_MAX,
  COUNTER_MIN,
  compareActors,
  compareDots,
  makeDot,
} from './dot';
import { type Sibling, type VersionSet, isTombstone } from './dvvset';
import { VersionArgumentError } from './errors';
import { VersionVector } from './version-vector';

/** Reserved: a zeroed buffer must never decode as a version set. */
export const FORMAT_VERSION_RESERVED = 0;
export const FORMAT_VERSION_1 = 1;
export const FORMAT_VERSION_CURRENT = FORMAT_VERSION_1;

/** Sibling kinds. 0 reserved. */
const SIBLING_KIND_VALUE = 1;
const SIBLING_KIND_TOMBSTONE = 2;

/** Counts, lengths and indices are array sizes; 2^32 - 1 is far beyond any real set. */
const LENGTH_VARINT_MAX = 0xffff_ffffn;

/** Smallest encoded sizes, used to reject counts the remaining input cannot hold. */
const ACTOR_BYTES_MIN_ENCODED = 2;
const ENTRY_BYTES_MIN_ENCODED = 2;
const SIBLING_BYTES_MIN_ENCODED = 3;

/** Bad stored bytes: says what is wrong and at which byte offset of the input. */
export class VersionSetDecodeError extends Error {
  override readonly name = 'VersionSetDecodeError';

  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`cannot decode version set at offset ${offset}: ${reason}`);
  }
}

const utf8Encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF in an actor instead of silently stripping it.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function encodeVersionSet(set: VersionSet): Uint8Array {
  assertCanonical(set);
  const actors = actorTable(set);
  const indexOf = new Map(actors.map((actor, index) => [actor, index]));
  const writer = new ByteWriter(64 + valueBytes(set));
  writer.byte(FORMAT_VERSION_CURRENT);
  writer.uvarint(BigInt(actors.length));
  for (const actor of actors) {
    const bytes = utf8Encoder.encode(actor);
    writer.uvarint(BigInt(bytes.length));
    writer.bytes(bytes);
  }
  const entries = set.context.entries();
  writer.uvarint(BigInt(entries.length));
  for (const [actor, counter] of entries) {
    writer.uvarint(BigInt(indexOf.get(actor) as number));
    writer.uvarint(counter);
  }
  writer.uvarint(BigInt(set.siblings.length));
  for (const sibling of set.siblings) {
    writer.uvarint(BigInt(indexOf.get(sibling.dot.actor) as number));
    writer.uvarint(sibling.dot.counter);
    if (isTombstone(sibling)) {
      writer.byte(SIBLING_KIND_TOMBSTONE);
    } else {
      writer.byte(SIBLING_KIND_VALUE);
      writer.uvarint(BigInt(sibling.value.length));
      writer.bytes(sibling.value);
    }
  }
  return writer.finish();
}

/** Decodes and checks every rule of the grammar; values are copied out of `bytes`. */
export function decodeVersionSet(bytes: Uint8Array): VersionSet {
  const reader = new ByteReader(bytes);
  const version = reader.byte('format version');
  if (version === FORMAT_VERSION_RESERVED) reader.fail('format version 0 is reserved', 0);
  if (version !== FORMAT_VERSION_1) reader.fail(`unknown format version ${version}`, 0);
  const actors = readActorTable(reader);
  const context = readVersionVector(reader, actors);
  const siblings = readSiblings(reader, actors);
  if (reader.remaining > 0) reader.fail(`${reader.remaining} trailing bytes`);
  const unused = actors.findIndex((actor) => !actor.used);
  if (unused >= 0) reader.fail(`actor ${unused} is never used`, actors[unused]?.offset);
  return { context, siblings };
}

interface TableActor {
  readonly name: string;
  readonly offset: number;
  used: boolean;
}

function readActorTable(reader: ByteReader): TableActor[] {
  const count = reader.count('actor count', ACTOR_BYTES_MIN_ENCODED);
  const actors: TableActor[] = [];
  for (let index = 0; index < count; index++) {
    const offset = reader.offset;
    const length = reader.length('actor length');
    if (length < 1 || length > ACTOR_BYTES_MAX) {
      reader.fail(`actor length ${length} outside 1..${ACTOR_BYTES_MAX}`, offset);
    }
    const raw = reader.take(length, 'actor');
    let name: string;
    try {
      name = utf8Decoder.decode(raw);
    } catch {
      return reader.fail('actor is not valid UTF-8', offset);
    }
    const previous = actors[actors.length - 1];
    if (previous !== undefined && compareActors(previous.name, name) >= 0) {
      reader.fail('actor table not strictly increasing', offset);
    }
    actors.push({ name, offset, used: false });
  }
  return actors;
}

function readVersionVector(reader: ByteReader, actors: TableActor[]): VersionVector {
  const count = reader.count('context entry count', ENTRY_BYTES_MIN_ENCODED);
  const entries: Array<[string, bigint]> = [];
  let previousIndex = -1;
  for (let entry = 0; entry < count; entry++) {
    const offset = reader.offset;
    const index = reader.actorIndex(actors.length);
    if (index <= previousIndex) reader.fail('context actors not strictly increasing', offset);
    previousIndex = index;
    const actor = actors[index] as TableActor;
    actor.used = true;
    entries.push([actor.name, reader.counter()]);
  }
  return VersionVector.from(entries);
}

function readSiblings(reader: ByteReader, actors: TableActor[]): Sibling[] {
  const count = reader.count('sibling count', SIBLING_BYTES_MIN_ENCODED);
  const siblings: Sibling[] = [];
  for (let index = 0; index < count; index++) {
    const offset = reader.offset;
    const actor = actors[reader.actorIndex(actors.length)] as TableActor;
    actor.used = true;
    const dot = makeDot(actor.name, reader.counter());
    const previous = siblings[siblings.length - 1];
    if (previous !== undefined && compareDots(previous.dot, dot) >= 0) {
      reader.fail('sibling dots not strictly increasing', offset);
    }
    const kindOffset = reader.offset;
    const kind = reader.byte('sibling kind');
    if (kind === SIBLING_KIND_TOMBSTONE) {
      siblings.push({ dot, tombstone: true });
    } else if (kind === SIBLING_KIND_VALUE) {
      const length = reader.length('value length');
      siblings.push({ dot, value: reader.take(length, 'value').slice() });
    } else {
      reader.fail(`unknown sibling kind ${kind}`, kindOffset);
    }
  }
  return siblings;
}

class ByteReader {
  offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  fail(reason: string, offset: number = this.offset): never {
    throw new VersionSetDecodeError(reason, offset);
  }

  byte(what: string): number {
    if (this.remaining < 1) this.fail(`truncated: ${what} missing`);
    return this.bytes[this.offset++] as number;
  }

  take(length: number, what: string): Uint8Array {
    if (length > this.remaining) {
      this.fail(`truncated: ${what} needs ${length} bytes, ${this.remaining} left`);
    }
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  /** A count of items each at least `itemBytesMin` long: must fit in what is left. */
  count(what: string, itemBytesMin: number): number {
    const offset = this.offset;
    const count = this.length(what);
    if (count * itemBytesMin > this.remaining) {
      this.fail(`${what} ${count} cannot fit in ${this.remaining} remaining bytes`, offset);
    }
    return count;
  }

  length(what: string): number {
    return Number(this.uvarint(what, LENGTH_VARINT_MAX));
  }

  actorIndex(actorCount: number): number {
    const offset = this.offset;
    const index = this.length('actor index');
    if (index >= actorCount) this.fail(`actor index ${index} not below ${actorCount}`, offset);
    return index;
  }

  counter(): bigint {
    const offset = this.offset;
    const counter = this.uvarint('counter', COUNTER_MAX);
    if (counter < COUNTER_MIN) this.fail('counter 0 is out of range', offset);
    return counter;
  }

  /** Minimal unsigned LEB128 no greater than `max`. */
  uvarint(what: string, max: bigint): bigint {
    const start = this.offset;
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.byte(what);
      if (byte === 0 && this.offset - start > 1) this.fail(`${what} varint is not minimal`, start);
      value |= BigInt(byte & 0x7f) << shift;
      if (value > max) this.fail(`${what} out of range (above ${max})`, start);
      if ((byte & 0x80) === 0) return value;
      shift += 7n;
    }
  }
}

class ByteWriter {
  private buffer: Uint8Array;
  private length = 0;

  constructor(initialCapacity: number) {
    this.buffer = new Uint8Array(initialCapacity);
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  bytes(value: Uint8Array): void {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  uvarint(value: bigint): void {
    let rest = value;
    while (rest >= 0x80n) {
      this.byte(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    this.byte(Number(rest));
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

/** Actors of the context and of the sibling dots, sorted, each once. */
function actorTable(set: VersionSet): string[] {
  const actors = new Set(set.context.entries().map(([actor]) => actor));
  for (const sibling of set.siblings) actors.add(sibling.dot.actor);
  return [...actors].sort(compareActors);
}

function valueBytes(set: VersionSet): number {
  let total = 0;
  for (const sibling of set.siblings) if (!isTombstone(sibling)) total += sibling.value.length;
  return total;
}

/** Checks a set before writing it: sorted unique dots, valid dots and values. */
function assertCanonical(set: VersionSet): void {
  let previous: Sibling | undefined;
  for (const sibling of set.siblings) {
    makeDot(sibling.dot.actor, sibling.dot.counter);
    if (!isTombstone(sibling) && !(sibling.value instanceof Uint8Array)) {
      throw new VersionArgumentError('sibling value must be a Uint8Array');
    }
    if (previous !== undefined && compareDots(previous.dot, sibling.dot) >= 0) {
      throw new VersionArgumentError('siblings must be sorted by dot with no dot twice');
    }
    previous = sibling;
  }
}
