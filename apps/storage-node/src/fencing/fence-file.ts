/**
 * The fence file: a storage node's minimum accepted ring version and the highest driver epoch it
 * recorded per migration (docs/architecture.md#fencing). Rewritten whole and replaced atomically
 * (write FENCE.tmp, fsync it, rename it over FENCE, fsync the directory) before a raise is
 * answered, so a node never answers a raise it could forget in a crash.
 *
 * Byte grammar of `FENCE` (integers little-endian):
 *
 *   fence     = magic:"PAIRDBFN" formatVersion:u32 bodyLength:u32 body:byte{bodyLength} crc32:u32
 *   body      = minRingVersion:u64 migrationCount:u16 migration{migrationCount}
 *   migration = idLength:u8 id:byte{idLength} epoch:u64
 *
 * - formatVersion is 1; 0 is reserved and a retired version is never reused. crc32 is CRC-32
 *   (ISO-HDLC) of `formatVersion bodyLength body`;
 * - migrations are listed oldest first (by when their epoch was last recorded), at most
 *   FENCE_MIGRATIONS_MAX of them, each id once; an id is 1..MIGRATION_ID_BYTES_MAX bytes of UTF-8;
 * - nothing follows the crc: trailing bytes are corruption.
 *
 * A missing file is a node that was never raised (minimum 0). FENCE.tmp is never read: a crash
 * between its write and the rename leaves the previous FENCE, whose raise was never answered.
 */
import path from 'node:path';
import { crc32, readFileIfPresent, replaceFileDurably } from '../engine';
import { CorruptFenceFileError } from './errors';

export const FENCE_FILE = 'FENCE';
export const FENCE_TEMP_FILE = 'FENCE.tmp';
export const FENCE_MAGIC = Buffer.from('PAIRDBFN', 'latin1');
export const FENCE_FORMAT_VERSION = 1;
/** Migration ids are at most 255 bytes (the metadata column and the one length byte here). */
export const MIGRATION_ID_BYTES_MAX = 255;
/**
 * Migrations whose epoch the node keeps, the most recently recorded ones. One migration runs at
 * a time, so only the newest can still have a driver; the rest bound the file, not correctness.
 */
export const FENCE_MIGRATIONS_MAX = 64;

const PREFIX_BYTES = 16;
const CRC_BYTES = 4;
const BODY_FIXED_BYTES = 8 + 2;
const MIGRATION_FIXED_BYTES = 1 + 8;
const U64_MAX = 2n ** 64n - 1n;

export interface FenceState {
  readonly minRingVersion: bigint;
  /** Highest driver epoch recorded per migration id, in insertion order: oldest first. */
  readonly epochs: ReadonlyMap<string, bigint>;
}

export const INITIAL_FENCE: FenceState = { minRingVersion: 0n, epochs: new Map() };

export function encodeFence(state: FenceState): Buffer {
  if (state.epochs.size > FENCE_MIGRATIONS_MAX) {
    throw new RangeError(`fence: ${state.epochs.size} migrations, above ${FENCE_MIGRATIONS_MAX}`);
  }
  checkU64('min ring version', state.minRingVersion);
  let bodyLength = BODY_FIXED_BYTES;
  const ids: Buffer[] = [];
  for (const [id, epoch] of state.epochs) {
    const bytes = Buffer.from(id, 'utf8');
    if (bytes.length === 0 || bytes.length > MIGRATION_ID_BYTES_MAX) {
      throw new RangeError(`fence: migration id of ${bytes.length} bytes`);
    }
    checkU64('epoch', epoch);
    ids.push(bytes);
    bodyLength += MIGRATION_FIXED_BYTES + bytes.length;
  }
  const target = Buffer.alloc(PREFIX_BYTES + bodyLength + CRC_BYTES);
  FENCE_MAGIC.copy(target, 0);
  target.writeUInt32LE(FENCE_FORMAT_VERSION, 8);
  target.writeUInt32LE(bodyLength, 12);
  let offset = target.writeBigUInt64LE(state.minRingVersion, PREFIX_BYTES);
  offset = target.writeUInt16LE(state.epochs.size, offset);
  let index = 0;
  for (const epoch of state.epochs.values()) {
    const id = ids[index++]!;
    offset = target.writeUInt8(id.length, offset);
    offset += id.copy(target, offset);
    offset = target.writeBigUInt64LE(epoch, offset);
  }
  target.writeUInt32LE(crc32(target.subarray(8, offset)), offset);
  return target;
}

/** Decodes and checks a fence file; any damage is a CorruptFenceFileError naming `file`. */
export function decodeFence(bytes: Buffer, file: string): FenceState {
  const fail = (reason: string, offset: number): never => {
    throw new CorruptFenceFileError(reason, file, offset);
  };
  if (bytes.length < PREFIX_BYTES + BODY_FIXED_BYTES + CRC_BYTES) fail('file too short', 0);
  if (!bytes.subarray(0, 8).equals(FENCE_MAGIC)) fail('bad magic', 0);
  const version = bytes.readUInt32LE(8);
  if (version !== FENCE_FORMAT_VERSION) fail(`unknown format version ${version}`, 8);
  const bodyLength = bytes.readUInt32LE(12);
  const crcOffset = PREFIX_BYTES + bodyLength;
  if (crcOffset + CRC_BYTES !== bytes.length) fail(`body length ${bodyLength} mismatch`, 12);
  if (bytes.readUInt32LE(crcOffset) !== crc32(bytes.subarray(8, crcOffset))) {
    fail('CRC mismatch', crcOffset);
  }
  // The CRC matched, so what follows fails only on a writer bug; it is still checked.
  const minRingVersion = bytes.readBigUInt64LE(PREFIX_BYTES);
  const count = bytes.readUInt16LE(PREFIX_BYTES + 8);
  if (count > FENCE_MIGRATIONS_MAX) fail(`${count} migrations`, PREFIX_BYTES + 8);
  const epochs = new Map<string, bigint>();
  let offset = PREFIX_BYTES + BODY_FIXED_BYTES;
  for (let index = 0; index < count; index++) {
    if (crcOffset - offset < MIGRATION_FIXED_BYTES) fail('migration truncated', offset);
    const idLength = bytes.readUInt8(offset);
    if (idLength === 0 || crcOffset - offset < MIGRATION_FIXED_BYTES + idLength) {
      fail(`migration id length ${idLength}`, offset);
    }
    const id = bytes.toString('utf8', offset + 1, offset + 1 + idLength);
    if (epochs.has(id)) fail(`migration ${JSON.stringify(id)} listed twice`, offset);
    epochs.set(id, bytes.readBigUInt64LE(offset + 1 + idLength));
    offset += MIGRATION_FIXED_BYTES + idLength;
  }
  if (offset !== crcOffset) fail('bytes after the last migration', offset);
  return { minRingVersion, epochs };
}

/** The fence of data directory `dir`; INITIAL_FENCE when it has no fence file. */
export function readFenceFile(dir: string): FenceState {
  const file = path.join(dir, FENCE_FILE);
  const bytes = readFileIfPresent(file);
  return bytes === undefined ? INITIAL_FENCE : decodeFence(bytes, file);
}

/** Atomically replaces the fence file of `dir` with `state`; durable when the promise resolves. */
export async function writeFenceFile(dir: string, state: FenceState): Promise<void> {
  await replaceFileDurably(dir, FENCE_FILE, FENCE_TEMP_FILE, encodeFence(state));
}

function checkU64(what: string, value: bigint): void {
  if (value < 0n || value > U64_MAX) throw new RangeError(`fence: ${what} ${value} out of range`);
}
