/**
 * The layout file: the newest ring layout a storage node was raised with (docs/architecture.md#fencing).
 * Written like the fence file (LAYOUT.tmp, fsync, rename over LAYOUT, fsync the directory)
 * before the raise that brought it is answered, so a restarted node judges ownership and holds
 * tombstones exactly as before the crash.
 *
 * Byte grammar of `LAYOUT` (integers little-endian, strings UTF-8 with a one-byte length):
 *
 *   file    = magic:"PAIRDBLY" formatVersion:u32 bodyLength:u32 body:byte{bodyLength} crc32:u32
 *   body    = ringVersion:u64 memberCount:u16 member{memberCount} hasChange:u8 change{hasChange}
 *             tenantCount:u32 tenant{tenantCount}
 *   member  = nodeId:str host:str port:u16 virtualNodes:u16 state:u8
 *   change  = type:u8 migrationId:str nodeId:str tenantId:str fromFactor:u8 toFactor:u8
 *             phase:str
 *   tenant  = tenantId:str replicationFactor:u8
 *   str     = length:u8 bytes:byte{length}
 *
 * - formatVersion is 1; 0 is reserved and a retired version is never reused. crc32 is CRC-32
 *   (ISO-HDLC) of `formatVersion bodyLength body`; nothing follows it;
 * - state: 1 joining, 2 active, 3 draining, 4 inactive; type: 1 node_addition, 2 node_deletion,
 *   3 replication_factor_change; 0 is reserved in both. These numbers never change;
 * - hasChange is 0 (nothing moves) or 1; in a change, an empty tenantId and factors of 0 stand
 *   for none (a node change).
 *
 * A missing file is a node that was never given a layout: it judges nothing.
 */
import path from 'node:path';
import type {
  LayoutChange,
  LayoutChangeType,
  LayoutMember,
  MemberState,
  RingLayout,
} from '@pairdb/hashring';
import { crc32, readFileIfPresent, replaceFileDurably } from '../engine';
import { CorruptLayoutFileError } from './errors';

export const LAYOUT_FILE = 'LAYOUT';
export const LAYOUT_TEMP_FILE = 'LAYOUT.tmp';
export const LAYOUT_MAGIC = Buffer.from('PAIRDBLY', 'latin1');
export const LAYOUT_FORMAT_VERSION = 1;

const PREFIX_BYTES = 16;
const CRC_BYTES = 4;
/** Strings carry a one-byte length. */
const STRING_BYTES_MAX = 255;
const U8_MAX = 255;
const U16_MAX = 65_535;
const U32_MAX = 2 ** 32 - 1;

// DO NOT CHANGE THESE NUMBERS: they are stored on disk.
const STATE_CODES: Record<MemberState, number> = {
  joining: 1,
  active: 2,
  draining: 3,
  inactive: 4,
};
const CHANGE_CODES: Record<LayoutChangeType, number> = {
  node_addition: 1,
  node_deletion: 2,
  replication_factor_change: 3,
};

export function encodeLayout(layout: RingLayout): Buffer {
  const body = new BodyWriter();
  body.u64(layout.ringVersion);
  body.bounded('member count', layout.members.length, U16_MAX).u16(layout.members.length);
  for (const member of layout.members) {
    body.str(member.nodeId).str(member.host);
    body.bounded('port', member.port, U16_MAX).u16(member.port);
    body.bounded('virtual nodes', member.virtualNodes, U16_MAX).u16(member.virtualNodes);
    body.u8(STATE_CODES[member.state]);
  }
  const change = layout.change;
  body.u8(change ? 1 : 0);
  if (change) {
    body.u8(CHANGE_CODES[change.type]).str(change.migrationId).str(change.nodeId);
    body.str(change.tenantId ?? '');
    body.bounded('from factor', change.fromReplicationFactor ?? 0, U8_MAX);
    body.u8(change.fromReplicationFactor ?? 0);
    body.bounded('to factor', change.toReplicationFactor ?? 0, U8_MAX);
    body.u8(change.toReplicationFactor ?? 0).str(change.phase);
  }
  const tenants = layout.replicationFactors;
  body.bounded('tenant count', tenants.size, U32_MAX).u32(tenants.size);
  for (const [tenantId, factor] of tenants) {
    body.str(tenantId).bounded('replication factor', factor, U8_MAX).u8(factor);
  }
  const bodyBytes = body.bytes();
  const prefix = Buffer.alloc(PREFIX_BYTES);
  LAYOUT_MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(LAYOUT_FORMAT_VERSION, 8);
  prefix.writeUInt32LE(bodyBytes.length, 12);
  const crc = Buffer.alloc(CRC_BYTES);
  crc.writeUInt32LE(crc32(Buffer.concat([prefix.subarray(8), bodyBytes])));
  return Buffer.concat([prefix, bodyBytes, crc]);
}

/** Decodes and checks a layout file; any damage is a CorruptLayoutFileError naming `file`. */
export function decodeLayout(bytes: Buffer, file: string): RingLayout {
  const fail = (reason: string, offset: number): never => {
    throw new CorruptLayoutFileError(reason, file, offset);
  };
  if (bytes.length < PREFIX_BYTES + CRC_BYTES) fail('file too short', 0);
  if (!bytes.subarray(0, 8).equals(LAYOUT_MAGIC)) fail('bad magic', 0);
  const version = bytes.readUInt32LE(8);
  if (version !== LAYOUT_FORMAT_VERSION) fail(`unknown format version ${version}`, 8);
  const bodyLength = bytes.readUInt32LE(12);
  const crcOffset = PREFIX_BYTES + bodyLength;
  if (crcOffset + CRC_BYTES !== bytes.length) fail(`body length ${bodyLength} mismatch`, 12);
  if (bytes.readUInt32LE(crcOffset) !== crc32(bytes.subarray(8, crcOffset))) {
    fail('CRC mismatch', crcOffset);
  }
  // The CRC matched, so what follows fails only on a writer bug; it is still checked.
  const body = new BodyReader(bytes, PREFIX_BYTES, crcOffset, fail);
  const ringVersion = body.u64();
  const members: LayoutMember[] = [];
  for (let count = body.u16(); count > 0; count--) {
    members.push({
      nodeId: body.str(),
      host: body.str(),
      port: body.u16(),
      virtualNodes: body.u16(),
      state: body.code('member state', STATE_CODES),
    });
  }
  let change: LayoutChange | null = null;
  const hasChange = body.u8();
  if (hasChange > 1) fail(`change flag ${hasChange}`, body.offset - 1);
  if (hasChange === 1) {
    const type = body.code('change type', CHANGE_CODES);
    const migrationId = body.str();
    const nodeId = body.str();
    const tenantId = body.str();
    const from = body.u8();
    const to = body.u8();
    change = {
      type,
      migrationId,
      nodeId,
      tenantId: tenantId === '' ? null : tenantId,
      fromReplicationFactor: from === 0 ? null : from,
      toReplicationFactor: to === 0 ? null : to,
      phase: body.str(),
    };
  }
  const replicationFactors = new Map<string, number>();
  for (let count = body.u32(); count > 0; count--) {
    const at = body.offset;
    const tenantId = body.str();
    if (replicationFactors.has(tenantId)) fail(`tenant ${JSON.stringify(tenantId)} twice`, at);
    replicationFactors.set(tenantId, body.u8());
  }
  if (body.offset !== crcOffset) fail('bytes after the last tenant', body.offset);
  return { ringVersion, members, change, replicationFactors };
}

/** The layout kept in data directory `dir`; undefined when it has none. */
export function readLayoutFile(dir: string): RingLayout | undefined {
  const file = path.join(dir, LAYOUT_FILE);
  const bytes = readFileIfPresent(file);
  return bytes === undefined ? undefined : decodeLayout(bytes, file);
}

/** Atomically replaces the layout file of `dir`; durable when the promise resolves. */
export async function writeLayoutFile(dir: string, layout: RingLayout): Promise<void> {
  await replaceFileDurably(dir, LAYOUT_FILE, LAYOUT_TEMP_FILE, encodeLayout(layout));
}

class BodyWriter {
  private readonly parts: Buffer[] = [];

  bounded(what: string, value: number, max: number): this {
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new RangeError(`layout: ${what} ${value} is not in 0..${max}`);
    }
    return this;
  }

  u8(value: number): this {
    this.parts.push(Buffer.from([value]));
    return this;
  }

  u16(value: number): this {
    const part = Buffer.alloc(2);
    part.writeUInt16LE(value);
    this.parts.push(part);
    return this;
  }

  u32(value: number): this {
    const part = Buffer.alloc(4);
    part.writeUInt32LE(value);
    this.parts.push(part);
    return this;
  }

  u64(value: bigint): this {
    const part = Buffer.alloc(8);
    part.writeBigUInt64LE(value);
    this.parts.push(part);
    return this;
  }

  str(value: string): this {
    const bytes = Buffer.from(value, 'utf8');
    this.bounded('string length', bytes.length, STRING_BYTES_MAX).u8(bytes.length);
    this.parts.push(bytes);
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class BodyReader {
  constructor(
    private readonly bytes: Buffer,
    public offset: number,
    private readonly end: number,
    private readonly fail: (reason: string, offset: number) => never,
  ) {}

  u8(): number {
    return this.take(1, (at) => this.bytes.readUInt8(at));
  }

  u16(): number {
    return this.take(2, (at) => this.bytes.readUInt16LE(at));
  }

  u32(): number {
    return this.take(4, (at) => this.bytes.readUInt32LE(at));
  }

  u64(): bigint {
    return this.take(8, (at) => this.bytes.readBigUInt64LE(at));
  }

  str(): string {
    const length = this.u8();
    return this.take(length, (at) => this.bytes.toString('utf8', at, at + length));
  }

  /** A stored enum number, as the name `codes` gives it. */
  code<T extends string>(what: string, codes: Record<T, number>): T {
    const at = this.offset;
    const value = this.u8();
    const name = (Object.keys(codes) as T[]).find((key) => codes[key] === value);
    return name ?? this.fail(`unknown ${what} ${value}`, at);
  }

  private take<T>(length: number, read: (at: number) => T): T {
    if (this.end - this.offset < length) this.fail('truncated', this.offset);
    const value = read(this.offset);
    this.offset += length;
    return value;
  }
}
